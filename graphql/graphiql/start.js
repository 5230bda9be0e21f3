// Starts GraphiQL on the page, posting to the endpoint the server wrote in
// `data-endpoint`: the path the page was served from, so that it follows
// any path a host mounts usergraph under.
(function start() {
  'use strict';
  var endpoint = new URL(document.body.dataset.endpoint, window.location.origin).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }),
  );
})();
