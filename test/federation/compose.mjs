// Composes hin-graph's subgraph with a second, small subgraph that extends
// Region, using Apollo's composition library, then resolves the second
// subgraph's Region references through hin-graph's _entities, as a router
// would. Exits non-zero on any problem.
//
//   node compose.mjs http://127.0.0.1:8080/graphql
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const url = process.argv[2];
if (!url) {
  console.error("usage: node compose.mjs GRAPHQL_URL");
  process.exit(2);
}

async function gql(query, variables) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function fail(msg) {
  console.error("composition test: " + msg);
  process.exit(1);
}

// A second service of the NHS graph: it knows regions by code and adds a
// field of its own.
const services = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

"A region as the workforce service knows it."
type Region @key(fields: "code") {
  "The region's code, shared with hin-graph."
  code: String!
  "Vacancies reported in the region."
  vacancies: Int!
}

type Query {
  "Regions with the most vacancies."
  busiestRegions: [Region!]!
}
`;

const { _service } = await gql("{ _service { sdl } }");
const result = composeServices([
  { name: "hingraph", url, typeDefs: parse(_service.sdl) },
  { name: "workforce", url: "http://workforce.invalid/graphql", typeDefs: parse(services) },
]);
if (result.errors && result.errors.length > 0) {
  fail("composition failed:\n" + result.errors.map((e) => e.message).join("\n"));
}
const supergraph = result.supergraphSdl;
for (const want of ["vacancies: Int!", "busiestRegions", 'join__type(graph: HINGRAPH, key: "code"', 'join__type(graph: HINGRAPH, key: "id"', 'join__type(graph: WORKFORCE, key: "code"']) {
  if (!supergraph.includes(want)) {
    fail(`supergraph lacks ${want}; its Region:\n` + supergraph.split("\n").filter((l) => l.includes("key:")).slice(0, 12).join("\n"));
  }
}

// The router's step after asking workforce for busiestRegions: fetch
// hin-graph's fields of those regions by their key, in one _entities call.
const reps = [{ __typename: "Region", code: "HI-EM" }, { __typename: "Region", code: "UCLP" }, { __typename: "Region", code: "NOPE" }];
const { _entities } = await gql(
  `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { id code name } } }`,
  { reps },
);
if (_entities.length !== 3 || _entities[0]?.code !== "HI-EM" || _entities[1]?.code !== "UCLP" || _entities[2] !== null) {
  fail("entities by code: " + JSON.stringify(_entities));
}
// and by the other key, the global ID
const byId = await gql(
  `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Region { code } } }`,
  { reps: [{ __typename: "Region", id: _entities[1].id }] },
);
if (byId._entities[0]?.code !== "UCLP") fail("entity by id: " + JSON.stringify(byId._entities));

console.log(`composed a supergraph of hingraph and workforce (${supergraph.length} bytes); resolved ${_entities.filter(Boolean).length} regions by code and 1 by id`);
