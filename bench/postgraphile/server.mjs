// PostGraphile V5 with its default preset (amber) over the hinbench
// database, for the side-by-side bench: devtools/hinbench --peer starts it as
//
//   node server.mjs <database url> <port>
//
// (with the Node.js 22 the package pins: PostGraphile 5 needs it) and
// drives it like hin-graph. Nothing is configured beyond the database,
// the schema and the port; GraphiQL and schema watching stay off.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const [connectionString, port] = process.argv.slice(2);
if (!connectionString || !port) {
  console.error("usage: node server.mjs <database url> <port>");
  process.exit(2);
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { port: Number(port), host: "127.0.0.1", graphiql: false, watch: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => console.log(`postgraphile listening on 127.0.0.1:${port}`));
await serv.addTo(server);
server.listen(Number(port), "127.0.0.1");
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
