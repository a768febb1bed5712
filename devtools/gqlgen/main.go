// Command gqlgen is `make generate`: gqlgen's own generation (gqlgen.yml)
// with one plugin more, which writes graph/direct_gen.go, what direct
// execution (graph/direct.go) knows of the schema: for every type it plans,
// each field's writer or relation, nullability, target type, Go name and
// every argument. It fails when a field of a planned type is neither bound
// to a scalar it can write, nor a relation declared in
// graph/direct_relations.go, nor listed there as left to gqlgen.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(2)
	}
	p := &directPlugin{relations: "graph/direct_relations.go", out: "graph/direct_gen.go"}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(3)
	}
}
