// GraphiQL served from the binary: React, GraphiQL and its styles are
// bundled from the pinned npm packages, so the page works with no internet
// access and under a Content-Security-Policy of the server's own origin.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import { setNonce } from 'get-nonce';
import 'graphiql/graphiql.css';
import './graphiql-page.css';

const root = document.getElementById('graphiql');
// GraphiQL's dialogs add a <style> element while open; the CSP allows it
// by this page's nonce (get-nonce is where the dialog library reads it).
setNonce(root.dataset.styleNonce);
// The example tabs come from the server as a JSON data block (not a script
// that runs), which the CSP allows.
const tabs = JSON.parse(document.getElementById('graphiql-tabs').textContent);
const endpoint = root.dataset.endpoint;
const url = new URL(endpoint, window.location.href);
const wsUrl = new URL(url);
wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = createGraphiQLFetcher({
  url: url.toString(),
  // Subscriptions run over the same origin, by graphql-transport-ws.
  wsClient: createClient({ url: wsUrl.toString(), lazy: true }),
});

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultEditorToolsVisibility={true}
    defaultTabs={tabs.map((t) => ({ query: t.Query }))}
  />,
);
