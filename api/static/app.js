// tracegraph's pages: one script, no build step, nothing fetched from another host. Each page asks
// the GraphQL API (/graphql) for what it shows, with the token of this browser session, and pages
// through the API's connections rather than loading whole lists.
"use strict";

(function () {
  var TOKEN_KEY = "tracegraph.token";
  var LANG_KEY = "tracegraph.lang";
  var PAGE = 100;  // rows a table asks for at a time (the API's largest page)
  var state = { me: null, lang: null };

  // -- text ------------------------------------------------------------------------------------------
  function lang() {
    if (!state.lang) {
      var chosen = null;
      try { chosen = localStorage.getItem(LANG_KEY); } catch (e) { chosen = null; }
      state.lang = chosen || ((navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en");
    }
    return state.lang;
  }

  function t(key, params) {
    var dict = window.TG_I18N[lang()] || {};
    var text = dict[key] !== undefined ? dict[key] : (window.TG_I18N.en[key] !== undefined ? window.TG_I18N.en[key] : key);
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : "";
    });
  }

  // -- building the page -----------------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.indexOf("on") === 0) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    kids.forEach(function add(kid) {
      if (kid === null || kid === undefined || kid === false) return;
      if (Array.isArray(kid)) { kid.forEach(add); return; }
      el.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
    });
    return el;
  }

  function link(href, text, cls) {
    return h("a", { href: href, "data-link": true, class: cls }, text);
  }

  function names(zh, en) {  // a company's names in both scripts, where both are known
    return h("span", { class: "names" }, en || zh || t("common.none"), en && zh ? h("span", { class: "zh", lang: "zh" }, zh) : null);
  }

  function chip(value, cls) {
    return h("span", { class: "chip " + (cls || value || "") }, value === null || value === undefined ? t("common.none") : String(value));
  }

  function show() {
    var main = document.getElementById("page");
    main.textContent = "";
    Array.prototype.slice.call(arguments).forEach(function (x) { if (x) main.appendChild(x); });
    return main;
  }

  function failed(err) {
    return h("p", { class: "error" }, t("common.error", { message: err && err.message ? err.message : String(err) }));
  }

  // -- the API ---------------------------------------------------------------------------------------
  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function gql(query, variables) {
    return fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "Authorization": "Bearer " + token() },
      body: JSON.stringify({ query: query, variables: variables || {} })
    }).then(function (r) {
      if (r.status === 401) {
        try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off */ }
        go("/sign-in?next=" + encodeURIComponent(location.pathname + location.search));
        throw new Error(t("signin.bad"));
      }
      return r.json();
    }).then(function (body) {
      var errors = body.errors || [];
      var fatal = errors.filter(function (e) { return !e.extensions || e.extensions.code !== "FORBIDDEN"; });
      if (fatal.length && !body.data) throw new Error(fatal[0].message);
      return body.data;  // a field the role may not see is null, with an error the page need not show
    });
  }

  function all(query, variables, path) {  // every page of one connection (for a CSV of the whole table)
    var rows = [];
    function step(after) {
      return gql(query, Object.assign({}, variables, { first: PAGE, after: after })).then(function (data) {
        var conn = path.reduce(function (x, k) { return x && x[k]; }, data);
        conn.edges.forEach(function (e) { rows.push(e.node); });
        return conn.pageInfo.hasNextPage ? step(conn.pageInfo.endCursor) : rows;
      });
    }
    return step(null);
  }

  function may(what) {
    return !!(state.me && state.me.may.indexOf(what) >= 0);
  }

  // -- navigation ------------------------------------------------------------------------------------
  var ROUTES = [
    [/^\/$/, pageHome], [/^\/sign-in$/, pageSignIn], [/^\/search$/, pageSearch],
    [/^\/findings\/(.+)$/, pageFinding], [/^\/factories\/([^/]+)$/, pageFactory], [/^\/exporters\/([^/]+)$/, pageExporter],
    [/^\/offenders$/, pageOffenders], [/^\/priorities$/, pagePriorities], [/^\/schemes$/, pageSchemes],
    [/^\/china-rapex$/, pageWorklist]
  ];
  var NAV = [["/search", "nav.search"], ["/offenders", "nav.offenders"], ["/priorities", "nav.priorities"],
             ["/schemes", "nav.schemes"], ["/china-rapex", "nav.worklist"]];

  function go(path) {
    history.pushState(null, "", path);
    render();
  }

  function params() {
    var out = {};
    new URLSearchParams(location.search).forEach(function (v, k) { out[k] = v; });
    return out;
  }

  function chrome() {
    document.title = t("app.title");
    document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
    var nav = document.getElementById("nav");
    nav.textContent = "";
    if (state.me) {
      NAV.forEach(function (n) {
        nav.appendChild(link(n[0], t(n[1]), location.pathname.indexOf(n[0]) === 0 ? "on" : null));
      });
      nav.appendChild(h("a", { href: "/graphql" }, t("nav.graphiql")));
    }
    var who = document.getElementById("who");
    who.textContent = "";
    if (state.me) {
      who.appendChild(document.createTextNode(t("who.signedIn", { org: state.me.org, role: state.me.role }) + " · "));
      who.appendChild(h("a", { href: "#", id: "sign-out", onclick: function (ev) {
        ev.preventDefault();
        try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off */ }
        state.me = null;
        go("/sign-in");
      } }, t("who.signOut")));
    }
    document.querySelectorAll("[data-lang]").forEach(function (b) {
      b.className = b.getAttribute("data-lang") === lang() ? "on" : "";
    });
  }

  function render() {
    var path = location.pathname;
    var page = null, match = null;
    for (var i = 0; i < ROUTES.length && !page; i++) {
      match = path.match(ROUTES[i][0]);
      if (match) page = ROUTES[i][1];
    }
    if (page !== pageSignIn && !token()) {
      go("/sign-in?next=" + encodeURIComponent(path + location.search));
      return;
    }
    var ready = state.me || page === pageSignIn ? Promise.resolve() : gql("{ me { org role tokenId may } }").then(function (d) { state.me = d.me; });
    ready.then(function () {
      chrome();
      (page || pageHome).apply(null, (match || []).slice(1).map(decodeURIComponent));
    }).catch(function (err) { chrome(); show(failed(err)); });
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-link]");
    if (a && !ev.ctrlKey && !ev.metaKey && a.origin === location.origin) {
      ev.preventDefault();
      go(a.getAttribute("href"));
    }
    var l = ev.target.closest && ev.target.closest("[data-lang]");
    if (l) {
      state.lang = l.getAttribute("data-lang");
      try { localStorage.setItem(LANG_KEY, state.lang); } catch (e) { /* storage off */ }
      render();
    }
  });
  window.addEventListener("popstate", render);

  // -- tables: sortable, filterable, paged through a connection, exportable as CSV ---------------------
  // spec: {columns: [{key, label, num, value(row) -> sortable, cell(row) -> node|text, csv(row) -> text}],
  //        fetch(after) -> Promise<{rows, total, next}>, everything() -> Promise<rows>, onRow(row), name}
  function table(spec) {
    var rows = [], total = 0, next = null, sortBy = null, desc = false, filter = "";
    var tbody = h("tbody");
    var info = h("span", { class: "muted" });
    var more = h("button", { type: "button", class: "plain", onclick: function () { load(next); } }, t("table.more"));
    var head = h("tr", null, spec.columns.map(function (c) {
      return h("th", { class: "sortable" + (c.num ? " num" : ""), "data-key": c.key, onclick: function (ev) {
        desc = sortBy === c.key ? !desc : !!c.num;
        sortBy = c.key;
        head.querySelectorAll("th").forEach(function (th) { th.classList.remove("asc", "desc"); });
        ev.currentTarget.classList.add(desc ? "desc" : "asc");
        draw();
      } }, c.label);
    }));
    function value(c, r) { return c.value ? c.value(r) : r[c.key]; }
    function draw() {
      var shown = rows.filter(function (r) {
        if (!filter) return true;
        return spec.columns.some(function (c) {
          var v = c.csv ? c.csv(r) : value(c, r);
          return v !== null && v !== undefined && String(v).toLowerCase().indexOf(filter) >= 0;
        });
      });
      if (sortBy) {
        var col = spec.columns.filter(function (c) { return c.key === sortBy; })[0];
        shown = shown.slice().sort(function (a, b) {
          var x = value(col, a), y = value(col, b);
          var cmp = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
          return desc ? -cmp : cmp;
        });
      }
      tbody.textContent = "";
      if (!shown.length) tbody.appendChild(h("tr", null, h("td", { colspan: spec.columns.length, class: "muted" }, t("table.empty"))));
      shown.forEach(function (r) {
        tbody.appendChild(h("tr", { class: spec.onRow ? "clickable" : null, onclick: spec.onRow ? function (ev) {
          if (!ev.target.closest("a,button")) spec.onRow(r);
        } : null }, spec.columns.map(function (c) {
          var cell = c.cell ? c.cell(r) : value(c, r);
          return h("td", { class: c.num ? "num" : null }, cell === null || cell === undefined ? t("common.none") : cell);
        })));
      });
      info.textContent = t("table.shown", { shown: rows.length, total: total });
      more.style.display = next ? "" : "none";
    }
    function load(after) {
      more.disabled = true;
      return spec.fetch(after).then(function (page) {
        rows = rows.concat(page.rows);
        total = page.total;
        next = page.next;
        more.disabled = false;
        draw();
      });
    }
    function csv() {
      var get = spec.everything || function () { return Promise.resolve(rows); };
      return get().then(function (everything) {
        var lines = [spec.columns.map(function (c) { return c.label; })].concat(everything.map(function (r) {
          return spec.columns.map(function (c) { var v = c.csv ? c.csv(r) : value(c, r); return v === null || v === undefined ? "" : String(v); });
        }));
        var text = lines.map(function (cells) {
          return cells.map(function (v) {
            if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;  // a spreadsheet must not run it as a formula
            return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
          }).join(",");
        }).join("\r\n");
        var a = h("a", { href: URL.createObjectURL(new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" })),
                         download: (spec.name || "tracegraph") + ".csv" });
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
    }
    var box = h("div", { class: "table" },
      h("div", { class: "row" },
        h("input", { type: "text", placeholder: t("table.filter"), class: "filter", oninput: function (ev) {
          filter = ev.target.value.trim().toLowerCase();
          draw();
        } }),
        h("button", { type: "button", class: "plain csv", onclick: csv }, t("table.csv")), info),
      h("table", null, h("thead", null, head), tbody),
      h("div", { class: "pager" }, more));
    box.ready = load(null);
    return box;
  }

  function connectionFetcher(query, variables, path, map) {
    return function (after) {
      return gql(query, Object.assign({}, variables, { first: PAGE, after: after })).then(function (data) {
        var conn = path.reduce(function (x, k) { return x && x[k]; }, data);
        return { rows: conn.edges.map(function (e) { return map ? map(e.node) : e.node; }), total: conn.totalCount,
                 next: conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null };
      });
    };
  }

  // -- charts: inline SVG, drawn here ------------------------------------------------------------------
  var PALETTE = { serious: "#b3261e", high: "#d97b00", medium: "#e8b400", low: "#7da453", issued: "#0b5cad", failed: "#b3261e" };

  function svg(tag, attrs) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    Array.prototype.slice.call(arguments, 2).forEach(function (kid) { if (kid) el.appendChild(kid); });
    return el;
  }

  // labels: the x values; series: [{name, color, values}] stacked
  function bars(labels, series, height) {
    height = height || 140;
    var width = Math.max(320, Math.min(1100, labels.length * 16 + 40));
    var top = 0;
    labels.forEach(function (_, i) {
      var sum = series.reduce(function (s, x) { return s + (x.values[i] || 0); }, 0);
      top = Math.max(top, sum);
    });
    top = top || 1;
    var step = Math.min((width - 40) / Math.max(labels.length, 1), 36);
    var every = Math.max(1, Math.ceil(labels.length / 12));  // labels that do not run into each other
    var chart = svg("svg", { class: "chart", width: width, height: height + 30, viewBox: "0 0 " + width + " " + (height + 30), role: "img" });
    chart.appendChild(svg("text", { x: 2, y: 10 }, document.createTextNode(String(top))));
    labels.forEach(function (label, i) {
      var y = height;
      series.forEach(function (s) {
        var v = s.values[i] || 0;
        if (!v) return;
        var hh = v / top * (height - 14);
        y -= hh;
        var rect = svg("rect", { x: 36 + i * step, y: y, width: Math.max(step - 2, 1), height: hh, fill: s.color });
        rect.appendChild(svg("title", null, document.createTextNode(label + " " + s.name + ": " + v)));
        chart.appendChild(rect);
      });
      if (i % every === 0) {
        chart.appendChild(svg("text", { x: 36 + i * step, y: height + 14 }, document.createTextNode(label)));
      }
    });
    chart.appendChild(svg("line", { x1: 34, y1: height, x2: width, y2: height, stroke: "#d6dde4" }));
    var legend = series.length > 1 ? h("div", { class: "legend" }, series.map(function (s) {
      return h("span", null, h("i", { style: "background:" + s.color }), s.name);
    })) : null;
    return h("div", null, chart, legend);
  }

  function interval(rate) {  // a rate with its 95 % interval, on a 0..max scale
    if (!rate || rate.rate === null) return h("span", { class: "muted" }, t("common.none"));
    var w = 160, scale = function (x) { return 4 + Math.min(x, 1) * (w - 8); };
    var chart = svg("svg", { class: "chart", width: w, height: 16, viewBox: "0 0 " + w + " 16", role: "img" },
      svg("line", { x1: 4, y1: 8, x2: w - 4, y2: 8, stroke: "#d6dde4" }),
      svg("line", { x1: scale(rate.low), y1: 8, x2: scale(rate.high), y2: 8, stroke: "#0b5cad", "stroke-width": 4 }),
      svg("circle", { cx: scale(rate.rate), cy: 8, r: 3.5, fill: "#1d2733" }));
    return h("span", { class: "interval" }, chart, " " + (rate.nonCompliant + "/" + rate.checked) + " [" + rate.low.toFixed(3) + ", " +
             rate.high.toFixed(3) + "]");
  }

  // -- pages -----------------------------------------------------------------------------------------
  function pageSignIn() {
    var input = h("input", { type: "password", id: "token", autocomplete: "off", placeholder: "tg_…", size: 60 });
    var message = h("p", { class: "error" });
    show(h("div", { class: "card" }, h("h1", null, t("signin.title")), h("p", { class: "muted" }, t("signin.explain")),
      h("form", { class: "row", onsubmit: function (ev) {
        ev.preventDefault();
        try { sessionStorage.setItem(TOKEN_KEY, input.value.trim()); } catch (e) { /* storage off */ }
        state.me = null;
        gql("{ me { org role tokenId may } }").then(function (d) {
          state.me = d.me;
          go(params().next || "/");
        }).catch(function () { message.textContent = t("signin.bad"); });
      } }, h("label", { for: "token" }, t("signin.token")), input, h("button", { type: "submit", id: "sign-in" }, t("signin.go"))),
      message));
    input.focus();
  }

  function searchForm(q) {
    var input = h("input", { type: "search", name: "q", id: "q", value: q || "", placeholder: t("search.placeholder") });
    return h("form", { class: "row search-box", onsubmit: function (ev) {
      ev.preventDefault();
      go("/search?q=" + encodeURIComponent(input.value.trim()));
    } }, input, h("button", { type: "submit" }, t("search.go")));
  }

  function pageHome() {
    show(h("h1", null, t("home.title")), h("p", { class: "muted" }, t("home.hint")), searchForm(""),
      h("div", { class: "grid" }, NAV.slice(1).map(function (n) {
        return h("div", { class: "card" }, link(n[0], t(n[1])));
      })));
  }

  function hitHref(hit) {
    if (hit.kind === "Manufacturer") return "/factories/" + encodeURIComponent(hit.key);
    if (hit.kind === "Exporter") return "/exporters/" + encodeURIComponent(hit.key);
    if (hit.kind === "Finding" || hit.kind === "Alert") return "/findings/" + encodeURIComponent(hit.key);
    if (hit.kind === "Product") return "/factories/" + encodeURIComponent(hit.key.split("|")[0]);
    return null;
  }

  function pageSearch() {
    var q = params().q || "";
    var results = h("div", { id: "results" });
    show(h("h1", null, t("nav.search")), searchForm(q), results);
    if (!q) return;
    results.appendChild(h("p", { class: "muted" }, t("common.loading")));
    gql("query($t: String!) { search(text: $t, first: 50) { totalCount edges { node { kind key nameZh nameEn score why } } } }", { t: q })
      .then(function (d) {
        results.textContent = "";
        var hits = d.search.edges.map(function (e) { return e.node; });
        results.appendChild(h("p", { class: "muted" }, hits.length ? t("search.count", { n: d.search.totalCount, q: q }) : t("search.none", { q: q })));
        results.appendChild(h("table", { class: "hits" }, h("tbody", null, hits.map(function (hit) {
          var href = hitHref(hit);
          return h("tr", { "data-key": hit.key }, h("td", null, chip(t("kind." + hit.kind), "kind")),
            h("td", null, href ? link(href, hit.key) : hit.key), h("td", null, names(hit.nameZh, hit.nameEn)),
            h("td", { class: "muted" }, hit.why));
        }))));
      }).catch(function (err) { results.textContent = ""; results.appendChild(failed(err)); });
  }

  var FINDING = "query($f: String!) { finding(findingId: $f) { findingId foundOn hazard riskLevel productName brand model gtin " +
    "notifyingCountry alertNo description mrn " +
    "trace { status reason arrival shipment exporter { uscc nameZh nameEn } " +
    "certificates { certificateNo issuer issuedOn result } " +
    "candidates(first: 10) { edges { node { uscc confidence strength nameZh nameEn evidence otherFindings sameAs } } } } " +
    "matchedProducts(first: 20) { edges { node { key model manufacturerUscc } } } " +
    "investigation { status openedOn closedOn manufacturerUscc } } }";

  function evidenceText(e) {
    if (e.path.indexOf("arrival") >= 0) {
      var c = e.consignment || {};
      return t("ev.consignment", { arrival: e.arrival, shipment: e.shipment, how: (c.evidence || []).join("; ") || c.method,
        score: c.score, model: e.line_model }) + (e.product_matched ? "; " + t("ev.consignmentMatched") : "") +
        (e.registration ? " " + t("ev.registration", { uscc: e.registration }) : "");
    }
    if (e.path.indexOf("product") >= 0) {
      return t("ev.product", { product: e.product, how: (e.evidence || []).join("; ") || e.method, score: e.score }) +
        (e.registration ? " " + t("ev.registration", { uscc: e.registration }) : "");
    }
    return t("ev.investigation") + (e.registration ? " " + t("ev.registration", { uscc: e.registration }) : "");
  }

  function drawTrace(container, f) {
    var nodes = {}, edges = [];
    function node(id, label, kind) { if (!nodes[id]) nodes[id] = { data: { id: id, label: label, kind: kind } }; }
    function edge(a, b, label) { edges.push({ data: { id: a + ">" + b + ":" + edges.length, source: a, target: b, label: label || "" } }); }
    var fid = "finding:" + f.findingId;
    node(fid, f.findingId + "\n" + (f.hazard || ""), "finding");
    var trace = f.trace;
    trace.candidates.edges.forEach(function (ce, rank) {
      var c = ce.node, mid = "factory:" + c.uscc;
      node(mid, (c.nameEn || c.nameZh || c.uscc) + "\n" + Math.round(c.confidence * 100) + "%", rank === 0 ? "top" : "factory");
      (c.evidence || []).forEach(function (e) {
        if (e.path.indexOf("arrival") >= 0) {
          var aid = "arrival:" + e.arrival, sid = "shipment:" + e.shipment;
          node(aid, e.arrival, "arrival");
          node(sid, e.shipment, "shipment");
          if (!edges.some(function (x) { return x.data.source === fid && x.data.target === aid; })) edge(fid, aid, "");
          if (!edges.some(function (x) { return x.data.source === aid && x.data.target === sid; })) edge(aid, sid, String(e.consignment && e.consignment.score));
          edge(sid, mid, e.line_model || "");
        } else if (e.path.indexOf("product") >= 0) {
          var pid = "product:" + e.product;
          node(pid, e.product.split("|").pop(), "product");
          edge(fid, pid, e.method + " " + e.score);
          edge(pid, mid, "");
        } else {
          node("investigation:" + f.findingId, "AQSIQ", "investigation");
          edge(fid, "investigation:" + f.findingId, "");
          edge("investigation:" + f.findingId, mid, "");
        }
      });
      if (rank === 0) {
        (c.otherFindings || []).slice(0, 8).forEach(function (other) {
          node("finding:" + other, other, "other");
          edge("finding:" + other, mid, "");
        });
      }
    });
    (trace.certificates || []).forEach(function (cert) {
      var cid = "certificate:" + cert.certificateNo;
      node(cid, cert.certificateNo + "\n" + (cert.result || ""), "certificate");
      if (trace.shipment) edge(cid, "shipment:" + trace.shipment, "");
    });
    var elements = Object.keys(nodes).map(function (k) { return nodes[k]; }).concat(edges);
    container.setAttribute("data-nodes", Object.keys(nodes).join(" "));
    if (!window.cytoscape) { container.textContent = "cytoscape.js did not load"; return; }
    var cy = window.cytoscape({
      container: container, elements: elements, userZoomingEnabled: true, wheelSensitivity: 0.3,
      layout: window.cytoscapeDagre ? { name: "dagre", rankDir: "LR", nodeSep: 18, rankSep: 70 } : { name: "breadthfirst", directed: true },
      style: [
        { selector: "node", style: { label: "data(label)", "text-wrap": "wrap", "font-size": 10, "text-valign": "center",
                                     "background-color": "#e8eef5", "border-width": 1, "border-color": "#9fb0c2", shape: "round-rectangle",
                                     width: "label", height: "label", padding: 6 } },
        { selector: "node[kind = 'finding']", style: { "background-color": "#fbe4e2", "border-color": "#b3261e" } },
        { selector: "node[kind = 'top']", style: { "background-color": "#0b5cad", color: "#fff", "border-color": "#073d73" } },
        { selector: "node[kind = 'certificate']", style: { "background-color": "#e2f3e8", "border-color": "#1b7a3a" } },
        { selector: "node[kind = 'other']", style: { "background-color": "#fff", "border-style": "dashed" } },
        { selector: "edge", style: { width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#9fb0c2",
                                     "target-arrow-color": "#9fb0c2", label: "data(label)", "font-size": 9, color: "#5d6b7a" } }
      ]
    });
    cy.on("tap", "node", function (ev) {
      var id = ev.target.id();
      if (id.indexOf("factory:") === 0) go("/factories/" + encodeURIComponent(id.slice(8)));
      if (id.indexOf("finding:") === 0 && id !== fid) go("/findings/" + encodeURIComponent(id.slice(8)));
    });
    container.cy = cy;
  }

  function decisions(f, box) {
    var options = [];
    var top = f.trace.candidates.edges[0];
    if (f.trace.arrival && f.trace.shipment) options.push(["SAME_CONSIGNMENT", f.trace.arrival, f.trace.shipment, "links.consignment"]);
    f.matchedProducts.edges.forEach(function (e) { options.push(["MATCHES_PRODUCT", f.findingId, e.node.key, "links.product"]); });
    box.textContent = "";
    box.appendChild(h("h2", null, t("links.title")));
    if (!options.length) { box.appendChild(h("p", { class: "muted" }, t("links.none"))); return; }
    options.forEach(function (o) {
      var note = h("span", { class: "muted" });
      function decide(decision) {
        return function () {
          gql("mutation($t: InferredLinkType!, $s: String!, $e: String!, $d: Decision!) { decideLink(type: $t, start: $s, end: $e, " +
              "decision: $d) { decision by } }", { t: o[0], s: o[1], e: o[2], d: decision }).then(function (d) {
            note.textContent = " " + t("links.done", { decision: t("links." + d.decideLink.decision.toLowerCase()), by: d.decideLink.by });
            note.className = "ok decided";
          }).catch(function (err) { note.textContent = " " + err.message; note.className = "error"; });
        };
      }
      box.appendChild(h("div", { class: "row decision", "data-type": o[0], "data-end": o[2] },
        h("span", null, t(o[3], { start: o[1], end: o[2] })),
        may("decide_links") ? h("button", { type: "button", class: "confirm", onclick: decide("CONFIRMED") }, t("links.confirm")) : null,
        may("decide_links") ? h("button", { type: "button", class: "danger reject", onclick: decide("REJECTED") }, t("links.reject")) : null,
        note));
    });
    void top;
  }

  function pageFinding(id) {
    show(h("p", { class: "muted" }, t("common.loading")));
    gql(FINDING, { f: id }).then(function (d) {
      var f = d.finding;
      if (!f) { show(h("h1", null, t("finding.notFound", { id: id }))); return; }
      var tr = f.trace;
      var graph = h("div", { id: "trace-graph" });
      var decide = h("div", { class: "card", id: "decisions" });
      var candidates = h("table", { id: "candidates" }, h("thead", null, h("tr", null, h("th", null, "#"), h("th", null, t("trace.factory")),
        h("th", null, t("trace.confidence")), h("th", null, t("trace.evidence")))), h("tbody", null, tr.candidates.edges.map(function (e, i) {
          var c = e.node;
          return h("tr", { "data-uscc": c.uscc }, h("td", null, String(i + 1)),
            h("td", null, link("/factories/" + encodeURIComponent(c.uscc), c.uscc), h("br"), names(c.nameZh, c.nameEn)),
            h("td", { class: "num" }, h("div", { class: "bar" }, h("span", { style: "width:" + Math.round(c.confidence * 100) + "%" })),
              Math.round(c.confidence * 100) + " %"),
            h("td", null, h("ul", { class: "evidence" }, (c.evidence || []).map(function (ev) { return h("li", null, evidenceText(ev)); })),
              c.otherFindings && c.otherFindings.length ? h("div", { class: "muted" }, t("trace.otherFindings") + ": ",
                c.otherFindings.slice(0, 12).map(function (o) { return [link("/findings/" + encodeURIComponent(o), o), " "]; })) : null));
        })));
      show(h("h1", null, t("finding.title", { id: f.findingId })),
        h("div", { class: "grid" },
          h("div", { class: "card" }, h("dl", { class: "facts" },
            h("dt", null, t("finding.foundOn")), h("dd", null, f.foundOn),
            h("dt", null, t("finding.hazard")), h("dd", null, f.hazard),
            h("dt", null, t("finding.risk")), h("dd", null, chip(f.riskLevel)),
            h("dt", null, t("finding.product")), h("dd", null, f.productName),
            h("dt", null, t("finding.brand")), h("dd", null, f.brand || t("common.none")),
            h("dt", null, t("finding.model")), h("dd", null, f.model || t("common.none")),
            h("dt", null, t("finding.gtin")), h("dd", null, f.gtin || t("common.none")),
            h("dt", null, t("finding.country")), h("dd", null, f.notifyingCountry || t("common.none")),
            f.alertNo ? [h("dt", null, t("finding.alert")), h("dd", null, f.alertNo)] : null,
            f.mrn ? [h("dt", null, t("finding.arrival")), h("dd", null, f.mrn)] : null)),
          h("div", { class: "card" }, h("h2", null, t("trace.title")),
            h("p", null, t("trace.status") + ": ", chip(t("status." + tr.status), tr.status), " ", h("span", { class: "muted" }, tr.reason)),
            tr.exporter ? h("p", null, t("kind.Exporter") + ": ", link("/exporters/" + encodeURIComponent(tr.exporter.uscc), tr.exporter.uscc), " ",
              names(tr.exporter.nameZh, tr.exporter.nameEn)) : null,
            tr.certificates.length ? h("table", null, h("thead", null, h("tr", null, h("th", null, t("cert.no")), h("th", null, t("cert.issuer")),
              h("th", null, t("cert.issued")), h("th", null, t("cert.result")))), h("tbody", null, tr.certificates.map(function (c) {
                return h("tr", null, h("td", null, c.certificateNo), h("td", null, c.issuer), h("td", null, c.issuedOn), h("td", null, chip(c.result)));
              }))) : null)),
        h("h2", null, t("trace.graph")), graph,
        h("h2", null, t("trace.candidates")), candidates, decide);
      drawTrace(graph, f);
      decisions(f, decide);
    }).catch(function (err) { show(failed(err)); });
  }

  var PROFILE = "query($u: String!) { factoryProfile(uscc: $u) { uscc " +
    "registrations { uscc nameZh nameEn province city ciqRegistration address } " +
    "shipmentsByMonth { month count } certificatesByMonth { month issued failed } " +
    "findingsByQuarterAndRisk { quarter riskLevel count } findingsByHazard { key count } " +
    "investigations { findingId status openedOn closedOn factories } " +
    "exposure { entryPoints products IMPORTERS } } }";

  function months(from, to) {  // every month between two YYYY-MM, inclusive
    var out = [], y = +from.slice(0, 4), m = +from.slice(5, 7);
    while (out.length < 240) {
      var k = y + "-" + (m < 10 ? "0" : "") + m;
      out.push(k);
      if (k >= to) break;
      m += 1; if (m > 12) { m = 1; y += 1; }
    }
    return out;
  }

  function pageFactory(uscc) {
    show(h("p", { class: "muted" }, t("common.loading")));
    var query = PROFILE.replace("IMPORTERS", may("see_importers") ? "importers" : "");
    if (!may("see_internal")) query = query.replace(" ciqRegistration address", "");
    gql(query, { u: uscc }).then(function (d) {
      var p = d.factoryProfile;
      if (!p) { show(h("h1", null, t("factory.notFound", { uscc: uscc }))); return; }
      var main = p.registrations.filter(function (r) { return r.uscc === p.uscc; })[0] || p.registrations[0];
      var ship = p.shipmentsByMonth, cert = p.certificatesByMonth;
      var all = ship.map(function (x) { return x.month; }).concat(cert.map(function (x) { return x.month; })).sort();
      var span = all.length ? months(all[0], all[all.length - 1]) : [];
      function series(list, key) {
        var byMonth = {};
        list.forEach(function (x) { byMonth[x.month] = x[key]; });
        return span.map(function (m) { return byMonth[m] || 0; });
      }
      var quarters = Array.from(new Set(p.findingsByQuarterAndRisk.map(function (x) { return x.quarter; }))).sort();
      var risks = ["serious", "high", "medium", "low"];
      var findingsTable = table({
        name: "findings-" + p.uscc,
        columns: [
          { key: "findingId", label: t("inv.finding"), cell: function (r) { return link("/findings/" + encodeURIComponent(r.findingId), r.findingId); } },
          { key: "foundOn", label: t("finding.foundOn") }, { key: "hazard", label: t("finding.hazard") },
          { key: "riskLevel", label: t("finding.risk"), cell: function (r) { return chip(r.riskLevel); } },
          { key: "productName", label: t("finding.product") }],
        fetch: connectionFetcher("query($u: String!, $first: PageSize, $after: Cursor) { factoryProfile(uscc: $u) { findings(first: $first, after: $after) " +
          "{ totalCount pageInfo { hasNextPage endCursor } edges { node { findingId foundOn hazard riskLevel productName } } } } }",
          { u: uscc }, ["factoryProfile", "findings"])
      });
      show(h("h1", null, t("factory.title", { uscc: p.uscc }), " ", names(main.nameZh, main.nameEn)),
        h("div", { class: "grid" },
          h("div", { class: "card" }, h("h2", null, t("factory.registrations")), h("table", { id: "registrations" }, h("tbody", null,
            p.registrations.map(function (r) {
              return h("tr", null, h("td", null, r.uscc === p.uscc ? r.uscc : link("/factories/" + encodeURIComponent(r.uscc), r.uscc)),
                h("td", null, names(r.nameZh, r.nameEn)), h("td", null, [r.province, r.city].filter(Boolean).join(" · ")),
                may("see_internal") ? h("td", { class: "muted" }, [r.ciqRegistration, r.address].filter(Boolean).join(" · ")) : null);
            })))),
          h("div", { class: "card", id: "exposure" }, h("h2", null, t("factory.exposure")),
            h("p", null, t("factory.entryPoints") + ": ", p.exposure.entryPoints.map(function (e) { return chip(e, "port"); })),
            h("p", null, t("factory.products") + ": " + p.exposure.products.length),
            may("see_importers") && p.exposure.importers ? h("p", { id: "importers" }, t("factory.importers") + ": ",
              p.exposure.importers.map(function (e) { return chip(e, "importer"); })) : null)),
        h("div", { class: "card" }, h("h2", null, t("factory.shipments")),
          bars(span, [{ name: t("col.shipments"), color: "#0b5cad", values: series(ship, "count") }])),
        h("div", { class: "card" }, h("h2", null, t("factory.certificates")),
          bars(span, [{ name: "pass", color: "#6ea8d9", values: span.map(function (m, i) { return series(cert, "issued")[i] - series(cert, "failed")[i]; }) },
                      { name: "fail", color: "#b3261e", values: series(cert, "failed") }])),
        h("div", { class: "grid" },
          h("div", { class: "card" }, h("h2", null, t("factory.findingsQuarter")),
            bars(quarters, risks.map(function (r) {
              return { name: r, color: PALETTE[r], values: quarters.map(function (q) {
                var hit = p.findingsByQuarterAndRisk.filter(function (x) { return x.quarter === q && x.riskLevel === r; })[0];
                return hit ? hit.count : 0;
              }) };
            }))),
          h("div", { class: "card" }, h("h2", null, t("factory.findingsHazard")),
            bars(p.findingsByHazard.map(function (x) { return x.key; }), [{ name: t("col.findings"), color: "#b3261e",
              values: p.findingsByHazard.map(function (x) { return x.count; }) }]))),
        h("div", { class: "card" }, h("h2", null, t("factory.investigations")), h("table", { id: "investigations" },
          h("thead", null, h("tr", null, h("th", null, t("inv.finding")), h("th", null, t("inv.status")), h("th", null, t("inv.opened")),
            h("th", null, t("inv.closed")))),
          h("tbody", null, p.investigations.length ? p.investigations.map(function (i) {
            return h("tr", null, h("td", null, link("/findings/" + encodeURIComponent(i.findingId), i.findingId)), h("td", null, chip(i.status)),
              h("td", null, i.openedOn || t("common.none")), h("td", null, i.closedOn || t("common.none")));
          }) : h("tr", null, h("td", { colspan: 4, class: "muted" }, t("table.empty")))))),
        h("div", { class: "card" }, h("h2", null, t("factory.findings")), findingsTable));
    }).catch(function (err) { show(failed(err)); });
  }

  function pageExporter(uscc) {
    show(h("p", { class: "muted" }, t("common.loading")));
    gql("query($u: String!) { exporter(uscc: $u) { uscc nameZh nameEn city shipments(first: 0) { totalCount } " +
        "consignedArrivals(first: 0) { totalCount } } }", { u: uscc }).then(function (d) {
      var x = d.exporter;
      if (!x) { show(h("h1", null, t("factory.notFound", { uscc: uscc }))); return; }
      show(h("h1", null, t("kind.Exporter") + " " + x.uscc, " ", names(x.nameZh, x.nameEn)),
        h("div", { class: "card" }, h("dl", { class: "facts" },
          h("dt", null, t("factory.city")), h("dd", null, x.city || t("common.none")),
          h("dt", null, t("col.shipments")), h("dd", null, String(x.shipments.totalCount)),
          h("dt", null, t("kind.Arrival")), h("dd", null, String(x.consignedArrivals.totalCount)))));
    }).catch(function (err) { show(failed(err)); });
  }

  var OFFENDER_FIELDS = "uscc registrations nameZh nameEn city findings shipments ratePer1000 possible " +
    "byRiskLevel { key count } hazards { key count } trend { direction } measuresOn afterMeasures " +
    "investigations { count byStatus { key count } }";

  function counts(list) { return (list || []).map(function (x) { return x.key + " " + x.count; }).join(", "); }

  function pageOffenders() {
    var p = params();
    var since = p.since || "", until = p.until || "", rankBy = p.rankBy || "FINDINGS", kind = p.kind || "factories";
    var form = h("form", { class: "row", onsubmit: function (ev) {
      ev.preventDefault();
      var f = ev.target;
      go("/offenders?" + new URLSearchParams({ since: f.since.value, until: f.until.value, rankBy: f.rankBy.value, kind: f.kind.value }).toString());
    } },
      h("label", null, t("offenders.since"), " ", h("input", { type: "date", name: "since", value: since })),
      h("label", null, t("offenders.until"), " ", h("input", { type: "date", name: "until", value: until })),
      h("label", null, t("offenders.rankBy"), " ", h("select", { name: "rankBy" },
        h("option", { value: "FINDINGS", selected: rankBy === "FINDINGS" }, t("offenders.byFindings")),
        h("option", { value: "RATE", selected: rankBy === "RATE" }, t("offenders.byRate")))),
      h("select", { name: "kind" }, h("option", { value: "factories", selected: kind === "factories" }, t("offenders.factories")),
        h("option", { value: "exporters", selected: kind === "exporters" }, t("offenders.exporters"))),
      h("button", { type: "submit" }, t("priorities.go")));
    var variables = { since: since || null, until: until || null, rankBy: rankBy };
    var query = "query($since: Date, $until: Date, $rankBy: OffenderRanking!, $first: PageSize, $after: Cursor) { " +
      "repeatOffenders(since: $since, until: $until, rankBy: $rankBy) { findings attributed " + kind +
      "(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { " + OFFENDER_FIELDS + " } } } } }";
    var rank = 0;
    var summary = h("p", { class: "muted", id: "summary" });
    var fetch = connectionFetcher(query, variables, ["repeatOffenders", kind], function (n) { rank += 1; return Object.assign({ rank: rank }, n); });
    var tbl = table({
      name: "offenders-" + kind,
      columns: [
        { key: "rank", label: t("col.rank"), num: true },
        { key: "uscc", label: t("col.uscc"), cell: function (r) {
          return kind === "factories" ? link("/factories/" + encodeURIComponent(r.uscc), r.uscc) : link("/exporters/" + encodeURIComponent(r.uscc), r.uscc);
        } },
        { key: "nameEn", label: t("col.name"), cell: function (r) { return names(r.nameZh, r.nameEn); },
          csv: function (r) { return [r.nameEn, r.nameZh].filter(Boolean).join(" / "); } },
        { key: "city", label: t("col.city") },
        { key: "findings", label: t("col.findings"), num: true },
        { key: "risk", label: t("col.risk"), value: function (r) { return counts(r.byRiskLevel); } },
        { key: "shipments", label: t("col.shipments"), num: true },
        { key: "ratePer1000", label: t("col.rate"), num: true },
        { key: "trend", label: t("col.trend"), value: function (r) { return r.trend.direction; }, cell: function (r) { return chip(r.trend.direction); } },
        { key: "hazards", label: t("col.hazards"), value: function (r) { return counts(r.hazards); } },
        { key: "investigations", label: t("col.investigations"), value: function (r) { return r.investigations ? counts(r.investigations.byStatus) : ""; } },
        { key: "measuresOn", label: t("col.measuresOn") }],
      fetch: function (after) {
        return fetch(after).then(function (page) { return page; });
      },
      everything: function () {
        var n = 0;
        return all(query, variables, ["repeatOffenders", kind]).then(function (rows) {
          return rows.map(function (r) { n += 1; return Object.assign({ rank: n }, r); });
        });
      },
      onRow: function (r) { go((kind === "factories" ? "/factories/" : "/exporters/") + encodeURIComponent(r.uscc)); }
    });
    show(h("h1", null, t("offenders.title")), form, summary, tbl);
    gql("query($since: Date, $until: Date, $rankBy: OffenderRanking!) { repeatOffenders(since: $since, until: $until, rankBy: $rankBy) { findings attributed } }",
        variables).then(function (d) { summary.textContent = t("offenders.summary", d.repeatOffenders); });
  }

  function pagePriorities() {
    var p = params();
    var entry = p.entryPoint || "NLRTM", since = p.since || "", until = p.until || "";
    var form = h("form", { class: "row", onsubmit: function (ev) {
      ev.preventDefault();
      var f = ev.target;
      go("/priorities?" + new URLSearchParams({ entryPoint: f.entryPoint.value.trim().toUpperCase(), since: f.since.value, until: f.until.value }).toString());
    } },
      h("label", null, t("priorities.entryPoint"), " ", h("input", { type: "text", name: "entryPoint", value: entry, size: 7 })),
      h("label", null, t("priorities.since"), " ", h("input", { type: "date", name: "since", value: since, required: true })),
      h("label", null, t("priorities.until"), " ", h("input", { type: "date", name: "until", value: until, required: true })),
      h("button", { type: "submit" }, t("priorities.go")));
    var parts = [h("h1", null, t("priorities.title")), h("p", { class: "muted" }, t("priorities.explain")), form];
    if (!since || !until) { show.apply(null, parts); return; }
    var variables = { e: entry, s: since, u: until };
    var query = "query($e: Locode!, $s: Date!, $u: Date!, $first: PageSize, $after: Cursor) { priorities(entryPoint: $e, since: $s, until: $u, " +
      "first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { mrn score arrivedOn reasons model modelNote } } } }";
    parts.push(table({
      name: "priorities-" + entry + "-" + since + "-" + until,
      columns: [
        { key: "mrn", label: t("col.mrn") }, { key: "arrivedOn", label: t("col.arrived") },
        { key: "score", label: t("col.score"), num: true, cell: function (r) {
          return h("span", null, h("div", { class: "bar" }, h("span", { style: "width:" + Math.round(r.score * 100) + "%" })), r.score.toFixed(3));
        } },
        { key: "reasons", label: t("col.reasons"), value: function (r) { return r.reasons.join("; "); },
          cell: function (r) { return h("ul", { class: "evidence" }, r.reasons.slice(0, 3).map(function (x) { return h("li", null, x); })); } },
        { key: "model", label: t("col.model"), value: function (r) { return r.model; },
          cell: function (r) { return h("span", { title: r.modelNote }, r.model); } }],
      fetch: connectionFetcher(query, variables, ["priorities"]),
      everything: function () { return all(query, variables, ["priorities"]); }
    }));
    show.apply(null, parts);
  }

  function verdict(text) {  // the server's verdicts, in the page's language
    var known = { "reliable": "verdict.reliable", "unreliable": "verdict.unreliable",
                  "not enough evidence: one of the groups was never checked": "verdict.unchecked",
                  "not enough evidence: the 95 % intervals overlap": "verdict.overlap" };
    var key = known[text] || known[text.split(":")[0]];
    return key ? t(key) : text;
  }

  function pageSchemes() {
    var dim = params().alignment || "CATEGORY", rdim = params().reliability || "OFFICE";
    show(h("p", { class: "muted" }, t("common.loading")));
    var q = "query($a: AlignmentDimension!, $r: ReliabilityDimension!) { alignment { overall { n agreement kappa passCompliant passNonCompliant " +
      "failCompliant failNonCompliant } groups(dimension: $a, first: 100) { edges { node { value table { n agreement kappa passCompliant " +
      "passNonCompliant failCompliant failNonCompliant } } } } } reliability { overall { value verdict certified { checked nonCompliant rate low high } " +
      "uncertified { checked nonCompliant rate low high } } groups(dimension: $r, first: 100) { edges { node { value verdict " +
      "certified { checked nonCompliant rate low high } uncertified { checked nonCompliant rate low high } } } } } }";
    gql(q, { a: dim, r: rdim }).then(function (d) {
      function select(name, value, options, other) {
        return h("select", { name: name, onchange: function (ev) {
          var p = {}; p[name] = ev.target.value; p[other[0]] = other[1];
          go("/schemes?" + new URLSearchParams(p).toString());
        } }, options.map(function (o) { return h("option", { value: o, selected: o === value }, t("dim." + o.toLowerCase())); }));
      }
      var align = [{ value: t("overall"), table: d.alignment.overall }].concat(d.alignment.groups.edges.map(function (e) { return e.node; }));
      var rel = [d.reliability.overall].concat(d.reliability.groups.edges.map(function (e) { return e.node; }));
      rel[0] = Object.assign({}, rel[0], { value: t("overall") });
      show(h("h1", null, t("schemes.title")),
        h("div", { class: "card" }, h("h2", null, t("schemes.alignment")),
          h("div", { class: "row" }, t("schemes.dimension"), " ", select("alignment", dim, ["CATEGORY", "HAZARD", "STANDARD", "OFFICE", "QUARTER"], ["reliability", rdim])),
          h("table", { id: "alignment" }, h("thead", null, h("tr", null, ["col.value", "col.n", "col.agreement", "col.kappa", "col.passOk",
            "col.passBad", "col.failOk", "col.failBad"].map(function (k, i) { return h("th", { class: i ? "num" : null }, t(k)); }))),
            h("tbody", null, align.map(function (g) {
              var x = g.table;
              return h("tr", null, h("td", null, g.value), [x.n, x.agreement, x.kappa === null ? t("common.none") : x.kappa.toFixed(3),
                x.passCompliant, x.passNonCompliant, x.failCompliant, x.failNonCompliant].map(function (v) {
                  return h("td", { class: "num" }, v === null ? t("common.none") : String(v));
                }));
            })))),
        h("div", { class: "card" }, h("h2", null, t("schemes.reliability")),
          h("div", { class: "row" }, t("schemes.dimension"), " ", select("reliability", rdim, ["OFFICE", "EXPORTER", "FACTORY", "CATEGORY"], ["alignment", dim])),
          h("table", { id: "reliability" }, h("thead", null, h("tr", null, h("th", null, t("col.value")), h("th", null, t("col.certified")),
            h("th", null, t("col.uncertified")), h("th", null, t("col.verdict")))),
            h("tbody", null, rel.map(function (g) {
              return h("tr", null, h("td", null, g.value), h("td", null, interval(g.certified)), h("td", null, interval(g.uncertified)),
                h("td", { class: "muted" }, verdict(g.verdict)));
            })))));
    }).catch(function (err) { show(failed(err)); });
  }

  var OUTCOMES = ["not_traceable", "no_measure", "corrective_action", "export_ban", "strengthened_supervision", "export_licence_suspended"];
  var STATUSES = ["open", "investigating", "measures_taken", "closed", "not_traceable"];

  function followUpForm(alert, done) {  // what AQSIQ found and did on an alert (cn_authority)
    var top = alert.factory || (alert.trace && alert.trace.top);
    var today = new Date().toISOString().slice(0, 10);
    var note = h("p", { class: "muted" });
    var form = h("form", { class: "card follow-up", onsubmit: function (ev) {
      ev.preventDefault();
      var f = ev.target;
      var item = { findingId: alert.findingId, status: f.status.value, openedOn: f.openedOn.value,
        outcomes: OUTCOMES.filter(function (o) { return f["o_" + o].checked; }) };
      ["manufacturerUscc", "rootCause", "measures", "closedOn", "reportedOn"].forEach(function (k) {
        if (f[k].value.trim()) item[k] = f[k].value.trim();
      });
      gql("mutation($items: [InvestigationInput!]!) { recordInvestigations(items: $items) { accepted items { ok problems { field message } } } }",
          { items: [item] }).then(function (d) {
        var r = d.recordInvestigations;
        if (r && r.accepted === 1) { note.className = "ok recorded"; note.textContent = t("worklist.recorded"); done(); }
        else { note.className = "error"; note.textContent = (r ? r.items[0].problems : []).map(function (p) { return p.field + ": " + p.message; }).join("; "); }
      }).catch(function (err) { note.className = "error"; note.textContent = err.message; });
    } },
      h("h3", null, t("worklist.recordFor", { alert: alert.alertNo })),
      h("div", { class: "row" },
        h("label", null, t("inv.status"), " ", h("select", { name: "status" }, STATUSES.map(function (x) {
          return h("option", { value: x, selected: alert.followUp && alert.followUp.status === x }, t("inv.s." + x));
        }))),
        h("label", null, t("trace.factory"), " ", h("input", { type: "text", name: "manufacturerUscc", size: 20,
          value: (alert.followUp && alert.followUp.factory && alert.followUp.factory.uscc) || (top && top.uscc) || "" })),
        h("label", null, t("inv.opened"), " ", h("input", { type: "date", name: "openedOn", required: true,
          value: (alert.followUp && alert.followUp.openedOn) || today })),
        h("label", null, t("inv.closed"), " ", h("input", { type: "date", name: "closedOn", value: (alert.followUp && alert.followUp.closedOn) || "" })),
        h("label", null, t("inv.reported"), " ", h("input", { type: "date", name: "reportedOn", value: (alert.followUp && alert.followUp.reportedOn) || "" }))),
      h("div", { class: "row" }, t("worklist.outcomes") + ":", OUTCOMES.map(function (o) {
        var on = alert.followUp && (alert.followUp.outcomes || []).indexOf(o) >= 0;
        return h("label", null, h("input", { type: "checkbox", name: "o_" + o, checked: on }), " " + t("outcome." + o));
      })),
      h("div", { class: "row" },
        h("label", null, t("inv.rootCause"), " ", h("input", { type: "text", name: "rootCause", size: 40,
          value: (alert.followUp && alert.followUp.rootCause) || "" })),
        h("label", null, t("inv.measures"), " ", h("input", { type: "text", name: "measures", size: 40,
          value: (alert.followUp && alert.followUp.measures) || "" }))),
      h("button", { type: "submit", class: "record" }, t("worklist.record")), note);
    return form;
  }

  function pageWorklist() {
    var p = params();
    var since = p.since || "", until = p.until || "", status = p.status || "";
    var form = h("form", { class: "row", onsubmit: function (ev) {
      ev.preventDefault();
      var f = ev.target;
      go("/china-rapex?" + new URLSearchParams({ since: f.since.value, until: f.until.value, status: f.status.value }).toString());
    } },
      h("label", null, t("offenders.since"), " ", h("input", { type: "date", name: "since", value: since })),
      h("label", null, t("offenders.until"), " ", h("input", { type: "date", name: "until", value: until })),
      h("label", null, t("inv.status"), " ", h("select", { name: "status" }, [""].concat(["UNINVESTIGATED", "PENDING", "OVERDUE", "CONCLUDED",
        "OPEN", "INVESTIGATING", "MEASURES_TAKEN", "CLOSED", "NOT_TRACEABLE"]).map(function (x) {
          return h("option", { value: x, selected: x === status }, x ? t("worklist.s." + x.toLowerCase()) : t("worklist.any"));
        }))),
      h("button", { type: "submit" }, t("priorities.go")));
    var internal = may("see_internal");
    var fields = "alertNo findingId forwardedOn quarter productName brand model hazard hazards riskLevel countryOfOrigin notifyingCountry " +
      "state dueOn overdue daysOpen trace { status candidates top { uscc nameZh nameEn confidence } } factory { uscc nameZh nameEn } " +
      "followUp { status " + (internal ? "outcomes rootCause measures " : "") + "openedOn closedOn reportedOn factory { uscc } }";
    var variables = { since: since || null, until: until || null, status: status || null };
    var query = "query($since: Date, $until: Date, $status: ChinaRapexStatus, $first: PageSize, $after: Cursor) { chinaRapexWorklist(" +
      "since: $since, until: $until, status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } " +
      "edges { node { " + fields + " } } } }";
    var editor = h("div", { id: "follow-up" });
    var tbl = table({
      name: "china-rapex-worklist",
      columns: [
        { key: "alertNo", label: t("finding.alert"), cell: function (r) { return link("/findings/" + encodeURIComponent(r.findingId), r.alertNo); } },
        { key: "forwardedOn", label: t("worklist.forwarded") },
        { key: "productName", label: t("finding.product"), value: function (r) { return [r.productName, r.brand, r.model].filter(Boolean).join(" · "); } },
        { key: "hazards", label: t("col.hazards"), value: function (r) { return (r.hazards || []).join(", "); } },
        { key: "riskLevel", label: t("finding.risk"), cell: function (r) { return chip(r.riskLevel); } },
        { key: "trace", label: t("trace.title"), value: function (r) { return r.trace.status; },
          cell: function (r) { return chip(t("status." + r.trace.status), r.trace.status); } },
        { key: "factory", label: t("trace.factory"), value: function (r) { var f = r.factory || r.trace.top; return f ? f.uscc : null; },
          cell: function (r) {
            var f = r.factory || r.trace.top;
            return f ? h("span", null, link("/factories/" + encodeURIComponent(f.uscc), f.uscc), h("br"), names(f.nameZh, f.nameEn)) : null;
          } },
        { key: "state", label: t("worklist.state"), value: function (r) { return r.state + (r.overdue ? " overdue" : ""); },
          cell: function (r) { return h("span", null, chip(t("worklist.s." + r.state), r.state), r.overdue ? chip(t("worklist.s.overdue"), "serious") : null); } },
        { key: "followUp", label: t("worklist.followUp"), value: function (r) {
          return r.followUp ? [r.followUp.status].concat(r.followUp.outcomes || []).join(", ") : null;
        } },
        { key: "record", label: "", csv: function () { return ""; }, cell: function (r) {
          return may("record_investigations") ? h("button", { type: "button", class: "plain open-follow-up", onclick: function () {
            editor.textContent = "";
            editor.appendChild(followUpForm(r, function () { setTimeout(render, 600); }));
            editor.scrollIntoView();
          } }, t("worklist.record")) : null;
        } }],
      fetch: connectionFetcher(query, variables, ["chinaRapexWorklist"]),
      everything: function () { return all(query, variables, ["chinaRapexWorklist"]); }
    });
    show(h("h1", null, t("worklist.title")), h("p", { class: "muted" }, t("worklist.explain")), form, tbl, editor);
  }

  render();
})();
