// Starts GraphiQL on the page, posting to the endpoint the server wrote in
// `data-endpoint`: the path the page was served from, so that it follows
// any path a host mounts usergraph under. Subscriptions run over a
// WebSocket there (graphql-ws, bundled with GraphiQL).
(function start() {
  'use strict';
  var endpoint = new URL(document.body.dataset.endpoint, window.location.origin).toString();
  // Subscriptions go over a WebSocket at the same path; GraphiQL sends the
  // headers of its Headers tab (the Authorization one) in connection_init.
  var live = new URL(endpoint);
  live.protocol = live.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: live.toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }),
  );
})();
