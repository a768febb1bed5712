package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/codegen"
	gql "github.com/vektah/gqlparser/v2/ast"
)

// directPlugin writes what direct execution knows of the schema.
type directPlugin struct {
	relations string // the hand-written file declaring relations and indirect fields
	out       string
}

func (p *directPlugin) Name() string { return "direct" }

// declared is what graph/direct_relations.go declares: the types direct
// execution plans, the relations ("Type.field") and the fields it leaves
// to gqlgen on purpose.
type declared struct {
	planned   []string
	relations map[string]bool
	indirect  map[string]bool
}

func (p *directPlugin) GenerateCode(data *codegen.Data) error {
	decl, err := readDeclared(p.relations)
	if err != nil {
		return err
	}
	objects := map[string]*codegen.Object{}
	for _, o := range data.Objects {
		objects[o.Name] = o
	}
	g := &gen{data: data, decl: decl, imports: map[string]string{}}
	var problems []string
	seen := map[string]bool{}
	for _, name := range append(slices.Clone(decl.planned), "Query") {
		o := objects[name]
		if o == nil {
			return fmt.Errorf("%s: planned type %s is not an object type of the schema", p.relations, name)
		}
		problems = append(problems, g.object(o, name == "Query")...)
		for _, f := range o.Fields {
			seen[name+"."+f.Name] = true
		}
	}
	for _, set := range []map[string]bool{decl.relations, decl.indirect} {
		for k := range set {
			if !seen[k] {
				problems = append(problems, fmt.Sprintf("%s is declared in %s but is no field of a planned type", k, p.relations))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("direct execution (%s):\n  %s", p.relations, strings.Join(problems, "\n  "))
	}
	src, err := g.file()
	if err != nil {
		return err
	}
	return os.WriteFile(p.out, src, 0o644)
}

// gen builds graph/direct_gen.go.
type gen struct {
	data    *codegen.Data
	decl    *declared
	imports map[string]string // path -> name
	body    bytes.Buffer
}

func (g *gen) qualifier(p *types.Package) string {
	g.imports[p.Path()] = p.Name()
	return p.Name()
}

// object writes one type's entry and returns what is wrong with its fields.
func (g *gen) object(o *codegen.Object, root bool) []string {
	var problems []string
	fmt.Fprintf(&g.body, "%q: {\n", o.Name)
	if !root {
		recv := types.TypeString(o.Type, g.qualifier)
		if st, ok := o.Type.Underlying().(*types.Struct); ok && hasField(st, "ID", "string") {
			fmt.Fprintf(&g.body, "id: idOf(func(v *%s) string { return v.ID }),\n", recv)
		} else {
			problems = append(problems, o.Name+" has no ID string field to find its children by")
		}
	}
	g.body.WriteString("fields: map[string]*genField{\n")
	for _, f := range o.Fields {
		if strings.HasPrefix(f.Name, "__") || root && !g.decl.relations[o.Name+"."+f.Name] {
			continue // at the root only the declared relations are served
		}
		if msg := g.field(o, f); msg != "" {
			problems = append(problems, msg)
		}
	}
	g.body.WriteString("},\n},\n")
	return problems
}

// field writes one field's entry; a message when the field can be none of
// bound, related or indirect.
func (g *gen) field(o *codegen.Object, f *codegen.Field) string {
	key := o.Name + "." + f.Name
	ref := f.TypeReference
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	msg := ""
	switch {
	case g.decl.indirect[key]:
		add("indirect: true")
	case g.decl.relations[key]:
		add("relation: true")
		add("to: %q", g.target(ref.GQL))
	case f.IsResolver:
		msg = key + " has a resolver: declare it in relations or in indirectFields"
	default:
		writer, err := g.writer(o, f)
		if err != nil {
			msg = key + ": " + err.Error() + ": write it, declare it a relation or list it in indirectFields"
			break
		}
		add("goName: %q", f.GoFieldName)
		add("scalar: %s", writer)
	}
	if ref.GQL.NonNull {
		add("nonNull: true")
	}
	if len(f.Args) > 0 {
		names := make([]string, len(f.Args))
		for i, a := range f.Args {
			names[i] = strconv.Quote(a.Name)
		}
		add("args: []string{%s}", strings.Join(names, ", "))
		add("coerce: (*executionContext).%s", f.ArgsFunc())
	}
	fmt.Fprintf(&g.body, "%q: {%s},\n", f.Name, strings.Join(parts, ", "))
	return msg
}

// target is the object type a relation leads to: a connection's item
// type, a list's element type, or the type itself.
func (g *gen) target(t *gql.Type) string {
	name := t.Name()
	def := g.data.Schema.Types[name]
	if def != nil && def.Kind == gql.Object && strings.HasSuffix(name, "Connection") {
		if nodes := def.Fields.ForName("nodes"); nodes != nil {
			return nodes.Type.Name()
		}
	}
	return name
}

// writer is the scalarFn expression (graph/direct_types.go) that writes
// the field as the generated marshaller does.
func (g *gen) writer(o *codegen.Object, f *codegen.Field) (string, error) {
	ref := f.TypeReference
	if ref.GQL.Elem != nil {
		return "", fmt.Errorf("a list of %s", ref.GQL.Name())
	}
	var get string
	switch {
	case f.GoFieldType == codegen.GoFieldVariable:
		get = "v." + f.GoFieldName
	case f.GoFieldType == codegen.GoFieldMethod && !f.MethodHasContext && f.NoErr:
		get = "v." + f.GoFieldName + "()"
	default:
		return "", fmt.Errorf("bound to %s, which direct execution cannot call", f.GoFieldName)
	}
	recv := types.TypeString(o.Type, g.qualifier)
	goType := types.TypeString(ref.GO, g.qualifier)
	name, nonNull := ref.GQL.Name(), ref.GQL.NonNull
	accessor := fmt.Sprintf("func(v *%s) %s { return %s }", recv, goType, get)
	kind := name
	if ref.Definition != nil && ref.Definition.Kind == gql.Enum {
		kind = "enum"
	}
	pick := func(fn, want string) (string, error) {
		if goType != want {
			return "", fmt.Errorf("%s %s bound to Go %s", name, map[bool]string{true: "non-null", false: "nullable"}[nonNull], goType)
		}
		return fmt.Sprintf("%s(%s)", fn, accessor), nil
	}
	switch {
	case name == "ID" && nonNull && f.GoFieldName == "GlobalID" && f.GoFieldType == codegen.GoFieldMethod:
		// the global ID written from the UUID, without building the string
		return fmt.Sprintf("globalID(hin.Kind%s, func(v *%s) string { return v.ID })", o.Name, recv), nil
	case name == "String" && nonNull:
		return pick("text", "string")
	case name == "String":
		return pick("optText", "*string")
	case name == "Int" && nonNull:
		return pick("integer", "int")
	case name == "Date" && nonNull:
		return pick("date", "time.Time")
	case name == "Date":
		return pick("optDate", "*time.Time")
	case name == "DateTime" && nonNull:
		return pick("dateTime", "time.Time")
	case name == "DateTime":
		return pick("optDateTime", "*time.Time")
	case name == "Float" && !nonNull:
		return pick("optFloat", "*float64")
	case kind == "enum" && nonNull && !strings.HasPrefix(goType, "*"):
		return pick("enum", goType)
	case kind == "enum" && !nonNull && strings.HasPrefix(goType, "*"):
		return pick("optEnum", goType)
	}
	return "", fmt.Errorf("no writer for %s %s bound to Go %s", map[bool]string{true: "non-null", false: "nullable"}[nonNull], name, goType)
}

func hasField(st *types.Struct, name, typ string) bool {
	for i := range st.NumFields() {
		if f := st.Field(i); f.Name() == name && f.Type().String() == typ {
			return true
		}
	}
	return false
}

func (g *gen) file() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by devtools/gqlgen from schema.graphqls, gqlgen.yml and\n")
	b.WriteString("// graph/direct_relations.go; DO NOT EDIT.\n\npackage graph\n\nimport (\n")
	paths := make([]string, 0, len(g.imports))
	for p := range g.imports {
		paths = append(paths, p)
	}
	// the standard library first, as goimports groups them
	std := func(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }
	slices.SortFunc(paths, func(a, b string) int {
		if std(a) != std(b) {
			if std(a) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for i, p := range paths {
		if i > 0 && std(paths[i-1]) && !std(p) {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%q\n", p)
	}
	b.WriteString(")\n\n")
	b.WriteString("// genTypes are the types direct execution plans (and the root fields it\n")
	b.WriteString("// serves), field by field, as the schema and gqlgen.yml bind them.\n")
	b.WriteString("var genTypes = map[string]*genType{\n")
	b.Write(g.body.Bytes())
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("direct_gen.go: %w\n%s", err, b.String())
	}
	return src, nil
}

// readDeclared reads plannedTypes, the keys of relations and of
// indirectFields from the hand-written Go file.
func readDeclared(path string) (*declared, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	d := &declared{relations: map[string]bool{}, indirect: map[string]bool{}}
	found := map[string]bool{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.CompositeLit)
				if !ok {
					continue
				}
				switch name.Name {
				case "plannedTypes":
					d.planned = stringsOf(lit, false)
				case "relations":
					for _, k := range stringsOf(lit, true) {
						d.relations[k] = true
					}
				case "indirectFields":
					for _, k := range stringsOf(lit, true) {
						d.indirect[k] = true
					}
				default:
					continue
				}
				found[name.Name] = true
			}
		}
	}
	for _, want := range []string{"plannedTypes", "relations", "indirectFields"} {
		if !found[want] {
			return nil, fmt.Errorf("%s: no composite literal var %s", path, want)
		}
	}
	return d, nil
}

// stringsOf is a literal's string elements, or its string keys.
func stringsOf(lit *ast.CompositeLit, keys bool) []string {
	var out []string
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok && keys {
			e = kv.Key
		}
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			if s, err := strconv.Unquote(bl.Value); err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}
