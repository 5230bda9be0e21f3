"""Times the console's first screen in headless Chromium (scripts/console-first-screen).

    python3 scripts/lib/first_screen.py ORIGIN TOKEN RUNS QUERY [QUERY ...]

Starts chromedriver (it starts Chromium), puts TOKEN in the tab's
sessionStorage as the console keeps a pasted token, then for each QUERY
(e.g. "" or "count=1") opens ORIGIN/console/users?QUERY RUNS times and
prints a line per run, then a summary line per QUERY.

Python's standard library only: WebDriver is JSON over HTTP. A script
added through DevTools (Page.addScriptToEvaluateOnNewDocument) runs before
the console's own in every page and records, with a MutationObserver, the
moment `#users tbody tr` reaches 20 rows: `performance.now()`, i.e. ms since
navigation start (`performance.timeOrigin`). The API requests counted are
the resource-timing entries of `fetch`es to `/graphql`, at that moment and
again once the page has been quiet for a second.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
SESSION_KEY = "usergraph.console.session"
ROWS = 20
TIMEOUT_S = 120

# Runs first in every document of the tab.
PROBE = """
(() => {
  const api = () => performance.getEntriesByType('resource')
    .filter((e) => e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('/graphql'));
  const mark = () => {
    if (window.__firstScreen !== undefined) return;
    if (document.querySelectorAll('#users tbody tr').length !== %d) return;
    window.__firstScreen = performance.now();
    const requests = api();
    window.__firstScreenApi = requests.length;
    window.__firstScreenOperations = window.__operations.slice();
    // The API's share: the batch's own request, start to last byte.
    window.__firstScreenApiMs = requests.map((e) => e.responseEnd - e.startTime);
    // Two frames later the rows have been painted.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__firstPaint = performance.now();
    }));
    observer.disconnect();
  };
  // Which operations each API request carried (a batch is an array).
  window.__operations = [];
  const fetch = window.fetch;
  window.fetch = function (resource, init) {
    try {
      if (String(resource instanceof Request ? resource.url : resource).endsWith('/graphql')) {
        const body = JSON.parse(init && init.body);
        const names = (Array.isArray(body) ? body : [body]).map((one) => {
          const found = /^\\s*(?:query|mutation)\\s+(\\w+)/.exec(one.query || '');
          return one.operationName || (found ? found[1] : '?');
        });
        window.__operations.push(names.join('+'));
      }
    } catch {
      window.__operations.push('?');
    }
    return fetch.apply(this, arguments);
  };
  const observer = new MutationObserver(mark);
  observer.observe(document, { childList: true, subtree: true });
})();
""" % ROWS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="first-screen-profile-")
        self.process = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        # As the browser tests (graphql/tests/browser/mod.rs): no outside
        # connection, a fresh profile.
        args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--lang=en-US",
            "--window-size=1280,900",
            f"--user-data-dir={self.profile}",
        ]
        capabilities = {
            "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            }
        }
        deadline = time.time() + 30
        while True:
            try:
                answer = self.call("POST", "/session", {"capabilities": capabilities})
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.session = f"/session/{answer['sessionId']}"

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S + 30) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.read().decode(errors='replace')}") from None

    def cdp(self, cmd, params):
        return self.call("POST", self.session + "/goog/cdp/execute", {"cmd": cmd, "params": params})

    def goto(self, url):
        self.call("POST", self.session + "/url", {"url": url})

    def eval(self, expression):
        return self.call(
            "POST", self.session + "/execute/sync",
            {"script": f"return ({expression});", "args": []},
        )

    def close(self):
        try:
            self.call("DELETE", self.session)
        finally:
            self.process.terminate()
            self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def percentile(sorted_values, p):
    # Nearest rank.
    rank = max(1, -(-p * len(sorted_values) // 100))
    return sorted_values[int(rank) - 1]


def one_run(driver, url):
    driver.goto(url)
    deadline = time.time() + TIMEOUT_S
    while driver.eval("window.__firstScreen === undefined"):
        if time.time() > deadline:
            text = driver.eval("document.body ? document.body.innerText.slice(0, 500) : ''")
            raise RuntimeError(f"no {ROWS} rows in {TIMEOUT_S} s at {url}; page text: {text!r}")
        time.sleep(0.02)
    # Whatever the page sends once the rows are there (the total, role
    # choices...) counts in `requests_after`: wait for a quiet second.
    seen, quiet_since = -1, time.time()
    while time.time() - quiet_since < 1.0 and time.time() < deadline:
        now = driver.eval(
            "performance.getEntriesByType('resource').filter((e) => e.initiatorType === 'fetch'"
            " && new URL(e.name).pathname.endsWith('/graphql')).length"
        )
        if now != seen:
            seen, quiet_since = now, time.time()
        time.sleep(0.1)
    return driver.eval(
        "({ ms: window.__firstScreen, painted_ms: window.__firstPaint ?? null,"
        " requests: window.__firstScreenApi, api_ms: window.__firstScreenApiMs,"
        " requests_after: performance.getEntriesByType('resource').filter((e) =>"
        " e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('/graphql')).length,"
        " rows: document.querySelectorAll('#users tbody tr').length,"
        " operations: window.__firstScreenOperations, operations_after: window.__operations,"
        " total: (document.body.innerText.match(/\\b20 (of [^\\n]*?users?|users on this page)/) || [null])[0] })"
    )


def main():
    origin, token, runs, queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    driver = Driver()
    try:
        driver.cdp("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        # Any page of the origin gives the tab its sessionStorage; /healthz
        # runs no console code.
        driver.goto(origin + "/healthz")
        session = json.dumps({"token": token, "kind": "token"})
        driver.eval(f"(sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(session)}), true)")
        for query in queries:
            url = origin + "/console/users" + (f"?{query}" if query else "")
            results = []
            for i in range(runs):
                driver.goto(origin + "/healthz")
                result = one_run(driver, url)
                result.update(run=i + 1)
                cold = " (cold)" if i == 0 and query == queries[0] else ""
                painted = result["painted_ms"]
                print(
                    f"  run {i + 1:2}{cold}: rows at {result['ms']:.0f} ms"
                    + (f", painted {painted:.0f} ms" if painted is not None else "")
                    + f"; API requests {result['requests']} (after a quiet second: {result['requests_after']})"
                    + f", API time {sum(result['api_ms']):.0f} ms; sent: {', '.join(result['operations_after'])};"
                    + f" shown: {result['total']}",
                    flush=True,
                )
                results.append(result)
            times = sorted(r["ms"] for r in results)
            api = sorted(sum(r["api_ms"]) for r in results)
            counts = sorted({r["requests"] for r in results})
            after = sorted({r["requests_after"] for r in results})
            print(
                f"{url}: {runs} runs, first screen (20 rows) p50 {percentile(times, 50):.0f} ms,"
                f" p90 {percentile(times, 90):.0f} ms, max {times[-1]:.0f} ms"
                f" (first run {results[0]['ms']:.0f} ms);"
                f" API requests before the rows: {'/'.join(map(str, counts))},"
                f" after a quiet second: {'/'.join(map(str, after))};"
                f" API time p50 {percentile(api, 50):.0f} ms, max {api[-1]:.0f} ms",
                flush=True,
            )
    finally:
        driver.close()


if __name__ == "__main__":
    main()
