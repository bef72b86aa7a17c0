"""Browser tests of the Evidence Console (the files in Sources/CavraServer/Resources/console/).

Run through Tests/console/run.sh, which starts a `cavra sandbox` (sample mode) and a `cavra api` with OIDC and
passes their URLs in the environment. Every test drives headless Chromium through the console, then checks
the outcome through the API itself: the console must show what the server did, and the server must have done
what the console showed. Each test saves a screenshot into .build-console-screens/.

The tests share the two servers, so each acts on its own routes:
  test 1 acknowledges a checkout_fallback_monthly route; test 3 escalates a ledger_fallback_monthly route;
  test 4 bulk-acknowledges search_fallback_biweekly (and tries a refused bulk on checkout); test 5 exports;
  test 6 works on the OIDC server only. Tests 2 and 7 change nothing.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CAVRA = os.environ.get("CAVRA", ".build/debug/cavra")
SANDBOX = os.environ.get("CAVRA_SANDBOX_URL", "")
OIDC = os.environ.get("CAVRA_OIDC_URL", "")
OIDC_DIR = os.environ.get("CAVRA_OIDC_DIR", "")
SCHEDULE_FILE = os.environ.get("CAVRA_SAMPLE_SCHEDULE", "")
SCREENS = os.environ.get("CAVRA_CONSOLE_SCREENS", ".build-console-screens")
WORK = os.environ.get("CAVRA_CONSOLE_WORK") or tempfile.gettempdir()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

DRILLS = "/runtime/go-pilot/rollback-drill-notifications"
OIDC_ISSUER = "https://cavra.local/dev"
OIDC_AUDIENCE = "cavra"
WAIT = 20  # seconds for anything the page does


# ----------------------------------------------------------------------------------------------------------
# Talking to the API directly (the tests' independent view of what happened)


def http(method: str, base: str, path: str, *, token: str | None = None, body=None, query=None):
    """(status, parsed JSON answer) of one API call."""
    url = base + path
    if query:
        url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"detail": text}


def routes(base: str, token: str, **filters) -> list[dict]:
    status, answer = http("GET", base, f"{DRILLS}/routes", token=token, query={"limit": 500, **filters})
    assert status == 200, (status, answer)
    return answer["items"]


def route_by_id(base: str, token: str, route_id: str) -> dict:
    matches = [r for r in routes(base, token) if r["route_id"] == route_id]
    assert len(matches) == 1, f"route {route_id} not found"
    return matches[0]


def sandbox_personas() -> dict[str, dict]:
    status, answer = http("GET", SANDBOX, "/console/sample-personas")
    assert status == 200, (status, answer)
    return {p["name"]: p for p in answer["personas"]}


def mint(sub: str, groups: str, ttl: str = "1h") -> str:
    """A token of the OIDC server's development identity provider."""
    result = subprocess.run(
        [CAVRA, "token", "mint", "--key", os.path.join(OIDC_DIR, "signing-key.pem"), "--issuer", OIDC_ISSUER,
         "--audience", OIDC_AUDIENCE, "--sub", sub, "--email", f"{sub}@example.com", "--groups", groups,
         "--ttl", ttl],
        check=True, capture_output=True, text=True)
    return result.stdout.strip()


def setUpModule():  # noqa: N802 (unittest's name)
    if not SANDBOX or not OIDC:
        raise unittest.SkipTest("run through Tests/console/run.sh: it starts the servers these tests need")
    os.makedirs(SCREENS, exist_ok=True)
    # The OIDC server starts empty: plan the staging sample schedule as a drill planner.
    with open(SCHEDULE_FILE) as handle:
        schedule = json.load(handle)
    status, answer = http("POST", OIDC, f"{DRILLS}/plans", token=mint("planner", "drill-planners"),
                          body={"schedule": schedule})
    assert status in (200, 201), (status, answer)


# ----------------------------------------------------------------------------------------------------------
# The browser


def make_driver(download_dir: str) -> webdriver.Chrome:
    options = Options()
    options.binary_location = CHROMIUM
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1400,1800")
    options.add_argument("--disable-gpu")
    options.add_argument("--no-first-run")
    options.add_experimental_option("prefs", {
        "download.default_directory": download_dir,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # Headless Chromium needs downloads allowed explicitly, into our directory.
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return driver


class ConsoleTest(unittest.TestCase):
    def setUp(self):
        self.downloads = tempfile.mkdtemp(prefix="downloads-", dir=WORK)
        self.driver = make_driver(self.downloads)
        self.wait = WebDriverWait(self.driver, WAIT)
        self.browser_log: list[dict] = []

    def tearDown(self):
        try:
            name = self.id().split(".")[-1]
            self.driver.save_screenshot(os.path.join(SCREENS, f"{name}.png"))
        finally:
            self.driver.quit()
            shutil.rmtree(self.downloads, ignore_errors=True)

    # --- page helpers ---

    def open_console(self, base: str, query: str = ""):
        self.driver.get(base + "/" + (f"?{query}" if query else ""))
        self.wait_for_routes()

    def css(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def visible(self, selector: str):
        return self.wait.until(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()), None))

    def wait_for_routes(self):
        """Until the route list has answered (rows, or the error box)."""
        def loaded(driver):
            table = driver.find_element(By.ID, "routes-table")
            if table.get_attribute("aria-busy") != "false":
                return False
            return driver.find_element(By.ID, "routes-summary").text or driver.find_element(By.ID, "routes-error").is_displayed()
        self.wait.until(loaded)

    def wait_for_text(self, selector: str, pattern: str, timeout: float = WAIT) -> str:
        """Until the element's text matches `pattern` (a regex); returns the text."""
        found = {}

        def check(driver):
            try:
                for element in driver.find_elements(By.CSS_SELECTOR, selector):
                    text = element.text
                    if element.is_displayed() and re.search(pattern, text, re.S):
                        found["text"] = text
                        return True
            except StaleElementReferenceException:
                return False
            return False
        try:
            WebDriverWait(self.driver, timeout).until(check)
        except TimeoutException:
            texts = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, selector)]
            self.fail(f"no {selector} matching {pattern!r}; texts: {texts!r}")
        return found["text"]

    def pick_persona(self, name: str, actor_id: str):
        select = Select(self.visible("#persona-select"))
        for option in select.options:
            if option.text.startswith(name):
                select.select_by_visible_text(option.text)
                break
        else:
            self.fail(f"no persona {name}")
        self.css("#persona-use").click()
        self.wait_for_text("#session-actor", re.escape(actor_id))
        self.wait_for_routes()

    def apply_filters(self, **filters):
        form = self.css("#filters")
        for field, value in filters.items():
            control = form.find_element(By.NAME, field)
            if control.tag_name == "select":
                Select(control).select_by_value(value)
            else:
                control.clear()
                control.send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait.until(lambda d: all(f"{k}={urllib.parse.quote(v)}" in d.current_url for k, v in filters.items()))
        self.wait_for_routes()

    def row(self, route_id: str):
        return self.css(f'tr[data-route-id="{route_id}"]')

    def action_button(self, route_id: str, action: str):
        return self.css(f'tr[data-route-id="{route_id}"] button[data-action="{action}"]')

    def wait_row_state(self, route_id: str, wanted: str):
        def state(driver):
            try:
                return driver.find_element(By.CSS_SELECTOR, f'tr[data-route-id="{route_id}"]').get_attribute("data-state") == wanted
            except Exception:  # re-rendered or not there yet
                return False
        try:
            self.wait.until(state)
        except TimeoutException:
            self.fail(f"row {route_id} never showed state {wanted}; problem box: {self.css('#problem').text!r}")

    # --- browser console ---

    def collect_browser_log(self):
        self.browser_log.extend(self.driver.get_log("browser"))

    def assert_no_console_errors(self, expected_statuses: tuple[int, ...] = ()):
        """No SEVERE browser-console entry except the network errors this test provokes on purpose.

        Chromium logs every fetch answered 4xx as a SEVERE "Failed to load resource: the server responded with
        a status of N" entry (source "network") even though the console handles the answer. Those are accepted
        only when N is a status the test provokes on purpose (401 without a token, 403 from a refused bulk, 422
        from an unmet obligation) *and* the URL is one of the API's own paths on our servers. Anything else —
        a script error, a CSP violation (inline style or script), a 404 for a missing asset, a 500 — fails.
        """
        self.collect_browser_log()
        allowed = re.compile(
            r"^(%s|%s)/(console/session|runtime/go-pilot/rollback-drill-notifications)\S* - "
            r"Failed to load resource: the server responded with a status of (%s) "
            % (re.escape(SANDBOX), re.escape(OIDC), "|".join(str(s) for s in expected_statuses) or "none"))
        unexpected = [entry for entry in self.browser_log
                      if entry.get("level") == "SEVERE"
                      and not (entry.get("source") == "network" and allowed.search(entry.get("message", "")))]
        self.assertEqual(unexpected, [], "unexpected browser console errors")

    # --- API views ---

    def sandbox_token(self, persona: str) -> str:
        return sandbox_personas()[persona]["token"]


class ConsoleTests(ConsoleTest):
    # 1 ------------------------------------------------------------------------------------------------------
    def test_1_incident_commander_acknowledges_a_route(self):
        ic = self.sandbox_token("incident-commander")
        candidates = [r for r in routes(SANDBOX, ic, schedule_id="checkout_fallback_monthly")
                      if r["state"] == "outstanding" and r["category"] == "deliver"
                      and r["permissions"]["acknowledge"]["allowed"]]
        self.assertTrue(candidates, "the sandbox should have an outstanding checkout route")
        route = candidates[0]

        self.open_console(SANDBOX)
        self.assertTrue(self.css("#sample-banner").is_displayed(), "sample mode shows its banner")
        self.pick_persona("incident-commander", "ic@sandbox.cavra.local")
        self.assertEqual(self.css("#session-verified").text, "verified")
        self.assertRegex(self.css("#session-expiry").text, r"UTC \(in \d")  # expires_at, in the future
        permissions = self.css("#session-permissions").text
        self.assertIn("acknowledge: yes", permissions)
        self.assertIn("plan drills: no", permissions)
        # The persona's token is kept like a pasted one: sessionStorage, not localStorage (no "remember").
        stored = self.driver.execute_script(
            "return [sessionStorage.getItem('cavra.console.token'), localStorage.getItem('cavra.console.token')]")
        self.assertEqual(stored, [sandbox_personas()["incident-commander"]["token"], None])

        self.apply_filters(schedule_id="checkout_fallback_monthly")
        self.assertEqual(self.row(route["route_id"]).get_attribute("data-state"), "outstanding")
        button = self.action_button(route["route_id"], "acknowledge")
        self.assertEqual(button.get_attribute("aria-disabled"), "false")
        button.click()
        self.wait_row_state(route["route_id"], "acknowledged")
        self.wait_for_text("#notice", r"Acknowledge: .* is now acknowledged")

        after = route_by_id(SANDBOX, ic, route["route_id"])
        self.assertEqual(after["state"], "acknowledged")
        self.assertEqual(after["latest_acknowledgement"]["actor"]["id"], "ic@sandbox.cavra.local")
        self.assertTrue(after["latest_acknowledgement"]["actor"]["verified"])
        self.assertEqual(after["latest_acknowledgement"]["previous_state"], "outstanding")
        # Acknowledging again is no longer offered: the state machine's reason is on the button.
        again = self.action_button(route["route_id"], "acknowledge")
        self.assertEqual(again.get_attribute("aria-disabled"), "true")
        self.assertIn(after["permissions"]["acknowledge"]["reasons"][0], again.get_attribute("title"))

        # The filters live in the URL: a reload restores them and shows the same state.
        self.driver.refresh()
        self.wait_for_routes()
        self.assertEqual(self.css("#f-schedule").get_attribute("value"), "checkout_fallback_monthly")
        self.wait_row_state(route["route_id"], "acknowledged")
        self.assertTrue(all(tr.get_attribute("data-schedule-id") == "checkout_fallback_monthly"
                            for tr in self.driver.find_elements(By.CSS_SELECTOR, "#routes-body tr[data-route-id]")))
        self.assert_no_console_errors()

    # 2 ------------------------------------------------------------------------------------------------------
    def test_2_forbidden_action_is_disabled_with_the_policy_reason(self):
        rm = self.sandbox_token("release-manager")
        production = [r for r in routes(SANDBOX, rm, category="deliver")
                      if r["environment"] == "production" and r["state"] == "outstanding"]
        self.assertTrue(production)
        route = production[0]
        reason = route["permissions"]["acknowledge"]["reasons"][0]
        self.assertFalse(route["permissions"]["acknowledge"]["allowed"])
        self.assertEqual(reason, "no permit rule applies")  # the policy: release managers stay out of production

        self.open_console(SANDBOX)
        self.pick_persona("release-manager", "rm@sandbox.cavra.local")
        button = self.action_button(route["route_id"], "acknowledge")
        self.assertEqual(button.get_attribute("aria-disabled"), "true")
        self.assertIsNone(button.get_attribute("disabled"), "a refused action stays focusable")
        self.assertIn(reason, button.get_attribute("title"))
        # The accessible description carries the same reason, and focus reaches the button.
        described = self.css("#" + button.get_attribute("aria-describedby"))
        self.assertIn(reason, described.get_attribute("textContent"))
        self.driver.execute_script("arguments[0].focus()", button)
        self.assertEqual(self.driver.switch_to.active_element, button)
        # Focus reveals the reason on screen (a bubble next to the button), not only on hover.
        self.assertGreater(described.size["width"], 20, "the reason is visible while the button has focus")
        self.assertIn(reason, described.text)
        # Activating it only repeats the reason; nothing is sent.
        button.click()
        self.wait_for_text("#notice", re.escape(reason))
        self.assertEqual(route_by_id(SANDBOX, rm, route["route_id"])["state"], "outstanding")

        # The unverified visitor gets the production forbid's own words.
        self.pick_persona("visitor", "visitor")
        self.wait_for_text("#session-verified", "unverified")
        visitor_button = self.action_button(route["route_id"], "acknowledge")
        self.assertEqual(visitor_button.get_attribute("aria-disabled"), "true")
        self.assertIn("production drill routes need a verified identity", visitor_button.get_attribute("title"))
        # …while a staging route is open to it (the policy lets release managers acknowledge non-production).
        staging = [r for r in routes(SANDBOX, rm, schedule_id="search_fallback_biweekly")
                   if r["permissions"]["acknowledge"]["allowed"]]
        if staging:
            self.assertEqual(self.action_button(staging[0]["route_id"], "acknowledge").get_attribute("aria-disabled"), "false")
        self.assert_no_console_errors()

    # 3 ------------------------------------------------------------------------------------------------------
    def test_3_critical_escalation_asks_for_a_note(self):
        ic = self.sandbox_token("incident-commander")
        candidates = [r for r in routes(SANDBOX, ic, schedule_id="ledger_fallback_monthly")
                      if r["state"] == "outstanding" and r["severity"] == "critical"
                      and r["permissions"]["escalate"]["allowed"]]
        self.assertTrue(candidates)
        route = candidates[0]
        self.assertIn("note", route["permissions"]["escalate"]["obligations"])

        self.open_console(SANDBOX, "schedule_id=ledger_fallback_monthly")
        self.pick_persona("incident-commander", "ic@sandbox.cavra.local")
        self.action_button(route["route_id"], "escalate").click()
        dialog = self.visible("#action-dialog")
        self.assertIsNotNone(dialog.get_attribute("open"))
        note = self.css("#action-note")
        self.assertIsNotNone(note.get_attribute("required"))
        self.assertIn("note", self.css("#action-dialog-why").text)

        # Without a note the browser refuses to submit: the dialog stays open and nothing reaches the server.
        self.css("#action-submit").click()
        time.sleep(0.5)
        self.assertIsNotNone(self.css("#action-dialog").get_attribute("open"))
        self.assertEqual(route_by_id(SANDBOX, ic, route["route_id"])["state"], "outstanding")

        # A client that does not know of the obligation sends no note: the server answers 422 and the dialog
        # reopens with the server's detail.
        self.driver.execute_script("document.getElementById('action-note').required = false")
        self.css("#action-submit").click()
        detail = self.wait_for_text("#action-dialog-error", r"422 missing_obligation")
        status, expected = http("POST", SANDBOX, f"{DRILLS}/{route['schedule_id']}/acknowledgements", token=ic,
                                body={"provider": route["provider"], "owner": route["owner"], "route_id": route["route_id"],
                                      "acknowledgement_state": "escalated"})
        self.assertEqual(status, 422)
        self.assertIn(expected["detail"], detail)
        self.assertIsNotNone(self.css("#action-dialog").get_attribute("open"))
        self.assertEqual(route_by_id(SANDBOX, ic, route["route_id"])["state"], "outstanding")

        # With a note it is stored.
        self.css("#action-note").send_keys("paging the ledger lead: drill overdue")
        self.css("#action-submit").click()
        self.wait_row_state(route["route_id"], "escalated")
        self.assertIsNone(self.css("#action-dialog").get_attribute("open"))
        after = route_by_id(SANDBOX, ic, route["route_id"])
        self.assertEqual(after["state"], "escalated")
        self.assertEqual(after["latest_acknowledgement"]["operator_input"]["notes"], "paging the ledger lead: drill overdue")

        # The route's history: the refused attempts and the stored escalation, with actor, notes and trace.
        self.css(f'button[data-details="{route["route_id"]}"]').click()
        self.wait_for_text("#details-body", "paging the ledger lead")
        acknowledgement = self.css('#details-body article[data-kind="acknowledgement"]')
        self.assertIn("verified", acknowledgement.find_element(By.CSS_SELECTOR, ".actor-block").text)
        self.assertIn("ic@sandbox.cavra.local", acknowledgement.find_element(By.CSS_SELECTOR, ".actor-block").text)
        self.assertIn("paging the ledger lead", acknowledgement.find_element(By.CSS_SELECTOR, ".operator-block").text)
        self.assertNotIn("paging the ledger lead", acknowledgement.find_element(By.CSS_SELECTOR, ".actor-block").text)
        self.assertIn("Allowed by rule ic-escalates", acknowledgement.find_element(By.CSS_SELECTOR, ".verdict").text)
        trace = acknowledgement.find_element(By.CSS_SELECTOR, ".trace-table").text
        self.assertIn("ic-escalates", trace)
        self.assertIn('route.severity == "critical"', trace)
        refusals = self.driver.find_elements(By.CSS_SELECTOR, '#details-body article[data-kind="refusal"]')
        self.assertTrue(any("missing obligation" in r.text for r in refusals), "the 422 attempts are in the history")
        kinds = [a.get_attribute("data-kind") for a in self.driver.find_elements(By.CSS_SELECTOR, "#details-body article")]
        self.assertEqual(kinds[0], "acknowledgement", "newest first")
        self.assertIn("plan_created", kinds)
        # Both 422s (the console's and the direct API call above) were provoked on purpose.
        self.assert_no_console_errors(expected_statuses=(422,))

    # 4 ------------------------------------------------------------------------------------------------------
    def test_4_bulk_ack_over_a_filter_shows_outcomes(self):
        ic = self.sandbox_token("incident-commander")
        outstanding = [r for r in routes(SANDBOX, ic, schedule_id="search_fallback_biweekly")
                       if r["state"] == "outstanding" and r["category"] == "deliver"]
        self.assertTrue(outstanding)

        self.open_console(SANDBOX, "schedule_id=search_fallback_biweekly")
        self.pick_persona("incident-commander", "ic@sandbox.cavra.local")
        self.css("#bulk-ack").click()
        self.visible("#bulk-dialog")
        count = self.css("#bulk-dialog-count").text
        self.assertIn(f"Acknowledge {len(outstanding)} outstanding route", count)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#bulk-dialog-list li")), len(outstanding))
        self.css("#bulk-submit").click()

        self.visible("#bulk-results")
        self.wait_for_text("#bulk-summary", r"Stored|Refused")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#bulk-table tbody tr")
        self.assertEqual(len(rows), len(outstanding), self.css("#bulk-body").text)
        self.assertEqual({r.get_attribute("data-outcome") for r in rows}, {"stored"}, self.css("#bulk-body").text)
        self.assertEqual({r.get_attribute("data-route-id") for r in rows}, {r["route_id"] for r in outstanding})
        for route in outstanding:
            self.wait_row_state(route["route_id"], "acknowledged")
            after = route_by_id(SANDBOX, ic, route["route_id"])
            self.assertEqual(after["state"], "acknowledged")
            self.assertTrue(after["latest_acknowledgement"].get("bulk_id"))

        # A refused bulk (a release manager on production) is all or nothing: per-route outcomes, nothing stored.
        rm = self.sandbox_token("release-manager")
        targets = [r for r in routes(SANDBOX, rm, schedule_id="checkout_fallback_monthly")
                   if r["state"] == "outstanding" and r["category"] == "deliver"]
        self.assertTrue(targets)
        self.pick_persona("release-manager", "rm@sandbox.cavra.local")
        self.apply_filters(schedule_id="checkout_fallback_monthly")
        self.css("#bulk-ack").click()
        self.visible("#bulk-dialog")
        self.assertIn("not allowed for you", self.css("#bulk-dialog-warning").text)
        self.css("#bulk-submit").click()
        self.wait_for_text("#bulk-summary", r"Refused — nothing was stored\. 403")
        outcomes = {r.get_attribute("data-outcome") for r in self.driver.find_elements(By.CSS_SELECTOR, "#bulk-table tbody tr")}
        self.assertIn("denied", outcomes)
        self.assertLessEqual(outcomes, {"denied", "would_store"})
        for route in targets:
            self.assertEqual(route_by_id(SANDBOX, rm, route["route_id"])["state"], "outstanding")
        self.assert_no_console_errors(expected_statuses=(403,))

    # 5 ------------------------------------------------------------------------------------------------------
    def test_5_export_downloads_a_verifiable_package(self):
        ic = self.sandbox_token("incident-commander")
        expected_routes = routes(SANDBOX, ic, schedule_id="search_fallback_biweekly", breached="false")

        self.open_console(SANDBOX, "schedule_id=search_fallback_biweekly&breached=false")
        self.assertEqual(Select(self.css("#f-breached")).first_selected_option.get_attribute("value"), "false")
        self.pick_persona("incident-commander", "ic@sandbox.cavra.local")
        self.css("#export").click()
        self.wait_for_text("#notice", r"Exported gordackaudit-")

        def downloaded(_):
            files = [f for f in glob.glob(os.path.join(self.downloads, "*.json"))]
            partial = glob.glob(os.path.join(self.downloads, "*.crdownload"))
            return files if files and not partial else False
        files = WebDriverWait(self.driver, WAIT).until(downloaded)
        self.assertEqual(len(files), 1)
        path = files[0]
        with open(path) as handle:
            package = json.load(handle)
        self.assertTrue(os.path.basename(path).startswith(package["audit_id"]))
        self.assertEqual(package["filters"]["schedule_id"], "search_fallback_biweekly")
        self.assertIs(package["filters"]["breached"], False, "breached travels as a boolean")
        self.assertEqual(package["route_count"], len(expected_routes))

        result = subprocess.run([CAVRA, "audit", "verify", path], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

        # The export is part of the routes' history.
        if expected_routes:
            self.css(f'button[data-details="{expected_routes[0]["route_id"]}"]').click()
            self.wait_for_text('#details-body article[data-kind="audit_package"]', re.escape(package["audit_id"]))
        self.assert_no_console_errors()

    # 6 ------------------------------------------------------------------------------------------------------
    def test_6_oidc_without_a_token_shows_the_401_and_changes_nothing(self):
        ic = mint("ic", "incident-commanders")
        before = {r["route_id"]: r["state"] for r in routes(OIDC, ic)}
        packages_before = http("GET", OIDC, DRILLS, token=ic, query={"kind": "audit_package"})[1]["items"]
        status, no_token = http("GET", OIDC, f"{DRILLS}/routes", query={"limit": 50, "offset": 0})
        self.assertEqual(status, 401)

        self.open_console(OIDC)
        self.wait_for_text("#session-status", "sign-in required")
        self.assertFalse(self.css("#sample-banner").is_displayed())
        self.assertFalse(self.css("#persona-panel").is_displayed())
        # The route list itself is refused: the console shows the server's detail.
        self.wait_for_text("#routes-error", re.escape(f"401 {no_token['code']}: {no_token['detail']}"))
        # An action without a token: the export is refused with the server's detail, and no file appears.
        _, export_answer = http("POST", OIDC, f"{DRILLS}/acknowledgements/audit-package", body={})
        self.css("#export").click()
        self.wait_for_text("#problem", re.escape(export_answer["detail"]))
        self.css("#bulk-ack").click()
        self.wait_for_text("#problem", r"Bulk Ack Outstanding.*401")
        self.assertEqual(glob.glob(os.path.join(self.downloads, "*")), [])

        # A token that expires while the page is open: the console says so (from its exp claim), and an action
        # sent with it gets the server's 401 "expired" detail; nothing is stored.
        ttl = 12
        short = mint("ic", "incident-commanders", ttl=f"{ttl}s")
        issued = time.time()
        token_box = self.css("#token-input")
        token_box.send_keys(short)
        self.css("#token-form button[type=submit]").click()
        self.wait_for_text("#session-actor", "ic@example.com")
        self.wait_for_routes()
        target = next(r for r in routes(OIDC, ic) if r["state"] == "outstanding" and r["category"] == "deliver")
        self.assertEqual(self.action_button(target["route_id"], "acknowledge").get_attribute("aria-disabled"), "false")
        self.wait_for_text("#token-expired", "expired", timeout=ttl + 10)
        time.sleep(max(0.0, issued + ttl + 1.5 - time.time()))
        self.action_button(target["route_id"], "acknowledge").click()
        problem = self.wait_for_text("#problem", r"401 .*expired")
        self.assertIn("with an expired token", problem)
        # On a reload the session call itself is refused, and the console says the token expired.
        self.driver.refresh()
        self.wait_for_text("#session-error", r"Your token has expired\. 401 .*expired")
        self.wait_for_routes()

        after = {r["route_id"]: r["state"] for r in routes(OIDC, ic)}
        self.assertEqual(after, before, "nothing changed")
        packages_after = http("GET", OIDC, DRILLS, token=ic, query={"kind": "audit_package"})[1]["items"]
        self.assertEqual(len(packages_after), len(packages_before), "no package was stored")

        # With a valid token the same action goes through, recorded with the console's channel header.
        self.css("#token-input").send_keys(ic)
        self.css("#token-form button[type=submit]").click()
        self.wait_for_text("#session-verified", "^verified$")
        self.wait_for_routes()
        self.action_button(target["route_id"], "acknowledge").click()
        self.wait_row_state(target["route_id"], "acknowledged")
        record = route_by_id(OIDC, ic, target["route_id"])["latest_acknowledgement"]
        self.assertEqual(record["channel"], "console")
        self.assertEqual(record["actor"]["id"], "ic@example.com")
        # Signing out forgets the token: the next load is refused again.
        self.css("#sign-out").click()
        self.wait_for_text("#routes-error", "401")
        self.assertEqual(self.driver.execute_script(
            "return [sessionStorage.length, localStorage.length]"), [0, 0])
        # Every 401 here was provoked on purpose (no token, then an expired one).
        self.assert_no_console_errors(expected_statuses=(401,))

    # 7 ------------------------------------------------------------------------------------------------------
    def test_7_no_browser_console_errors(self):
        """A walk through the whole console in sample mode logs nothing SEVERE (no script error, no CSP report,
        no failed asset), and in OIDC mode without a token only the expected 401 answers."""
        self.open_console(SANDBOX)
        for persona, actor in [("auditor", "auditor@sandbox.cavra.local"), ("visitor", "visitor"),
                               ("release-manager", "rm@sandbox.cavra.local"),
                               ("incident-commander", "ic@sandbox.cavra.local")]:
            self.pick_persona(persona, actor)
        # The dashboard and the chart are drawn from the API.
        self.wait_for_text("#dashboard", "breached")
        self.visible("#chart svg.chart-svg")
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "#chart rect.bar"))
        # Filters, a history, focus on a refused button, paging controls.
        self.apply_filters(state="acknowledged")
        first = self.css("#routes-body tr[data-route-id]")
        first.find_element(By.CSS_SELECTOR, "button[data-details]").click()
        self.wait_for_text("#details-body", r"Record #\d")
        self.css("#details-close").click()
        refused = self.driver.find_elements(By.CSS_SELECTOR, 'button[aria-disabled="true"]')
        if refused:
            self.driver.execute_script("arguments[0].focus()", refused[0])
        self.css("#filters-clear").click()
        self.wait_for_routes()
        self.driver.back()
        self.wait_for_routes()
        self.assert_no_console_errors()  # nothing at all in sample mode

        # OIDC without a token: only the 401 answers of the API are expected.
        self.driver.get(OIDC + "/")  # another origin: its storage is empty, so no token
        self.wait_for_routes()
        self.wait_for_text("#routes-error", "401")
        self.assert_no_console_errors(expected_statuses=(401,))
        # …and there must have been some, or the filter above would hide nothing it claims to.
        self.assertTrue(any("status of 401" in e.get("message", "") for e in self.browser_log))


if __name__ == "__main__":
    unittest.main()
