// GraphiQL against /graphql with the signed-in user's bearer token (see graphiql.html's header).
"use strict";

(function () {
  var GRAPHQL_URL = "/graphql";
  var TOKEN_KEY = "tracegraph.token";
  var root = document.getElementById("graphiql");

  if (typeof React === "undefined" || typeof ReactDOM === "undefined" || typeof GraphiQL === "undefined") {
    root.className = "tracegraph-failed";
    root.textContent = "GraphiQL did not load: its files under /static/vendor/ were not served. " +
      "The service must be installed with its package data (tracegraph/api/static/vendor/); " +
      "deploy/vendor/vendor.sh puts them there.";
    return;
  }

  function storedToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";  // storage disabled by the browser's settings
    }
  }

  function hasAuthorization(headers) {
    return Object.keys(headers).some(function (name) { return name.toLowerCase() === "authorization"; });
  }

  var httpFetcher = GraphiQL.createFetcher({ url: GRAPHQL_URL });

  // The Headers editor's JSON comes in opts.headers. When it names no Authorization (a tab restored
  // from an earlier visit has an empty editor), the token of this browser session goes instead.
  function fetcher(params, opts) {
    var headers = Object.assign({}, opts && opts.headers);
    var token = storedToken();
    if (!hasAuthorization(headers) && token) {
      headers.Authorization = "Bearer " + token;
    }
    return httpFetcher(params, Object.assign({}, opts, { headers: headers }));
  }

  var token = storedToken();
  var initialHeaders = JSON.stringify({ Authorization: "Bearer " + token }, null, 2);

  var defaultQuery = [
    "# tracegraph's GraphQL API. Ctrl-Enter runs the query; Ctrl-Space completes; the book icon",
    "# (top left) opens the schema's documentation.",
    "#",
    token
      ? "# Your session's token is in the Headers tab below, sent with every request."
      : "# No token in this browser session: sign in, or paste yours after \"Bearer \" in the Headers",
    token
      ? "# To use another, edit it there, then re-fetch the schema (Shift-Ctrl-R)."
      : "# tab below, then re-fetch the schema (Shift-Ctrl-R).",
    "",
    "{",
    "  __typename",
    "}",
    "",
  ].join("\n");

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      headers: initialHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
      inputValueDeprecation: true,
    })
  );
})();
