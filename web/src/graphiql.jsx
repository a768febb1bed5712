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
import { csrfHeaders, showSession } from './session.js';

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

// A signed-in person's queries and mutations go with the session cookie
// (same origin) and the CSRF header, so nobody pastes a token; the bar at
// the top says who they are.
showSession().then(async () => {
  const fetcher = createGraphiQLFetcher({
    url: url.toString(),
    headers: await csrfHeaders(),
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
});
