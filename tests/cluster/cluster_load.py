#!/usr/bin/env python3
"""cluster_load.py: the load of the cluster test (tests/cluster/test_cluster.sh), through nginx.

  cluster_load.py load BASE_URL --seconds S --threads N --out FILE
      N travellers, each on its own source address (127.0.1.K, so each has its own per-address
      rate limit and none is the balancer's), for S seconds: a search (POST /api/v1/searches on
      a route of ROUTES, 5-30 days ahead) and a booking of one of its
      offers (POST /api/v1/offers, then POST /api/v1/orders as a guest with its own
      Idempotency-Key and the offer's total). At most 8 iterations a second per traveller (with
      the providers' latency about 2: under the per-address limit, 1,200 a minute). Every answer is classified:
        ok        2xx;
        business  the answers a healthy cluster gives too: 404/409/410/422 of an offer (the
                  seats moved on), 409 price_changed / sold_out of an order, 409 with the
                  order failed (a booking cut off before its hold, failed by recovery);
        retryable 502/503/504 with Retry-After, 409 request_in_progress (a booking whose first
                  request is still running or was cut off): retried, a booking with the same
                  key and body, until it gets a final answer or its 60 s run out;
        bad       anything else: another status, a retryable one without Retry-After, a
                  connection to nginx refused or cut, a body that is not JSON.
      FILE gets {"counts": {...}, "bad": [...], "orders": [{"key", "status", "order_id",
      "order_status", "attempts"}]}: every booking attempted, with its last answer.
  cluster_load.py burst BASE_URL --source ADDR --requests N --threads T
      N GETs of /api/v1/airports?q=lon from ADDR over T connections, as fast as they go:
      prints {"passed", "limited", "other", "seconds", "retry_after_ok"}.
Standard library only (http.client, threading), so it runs wherever python3 does.
"""
import argparse
import datetime
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
import uuid

ROUTES = [("LON", "NYC"), ("NYC", "LON"), ("PAR", "NYC"), ("LON", "PAR"), ("FRA", "NYC"),
          ("NYC", "PAR"), ("LON", "FRA"), ("PAR", "LON")]
RETRYABLE = (502, 503, 504)
ORDER_BUDGET_S = 60


class Client:
    """One keep-alive connection from a source address; reconnects after an error."""

    def __init__(self, base, source):
        u = urllib.parse.urlparse(base)
        self.host, self.port, self.source = u.hostname, u.port, source
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        """(status, headers dict, parsed JSON or None) or raises OSError/HTTPException."""
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=40,
                                                       source_address=(self.source, 0))
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # nginx closed an idle keep-alive connection: a fresh one, once.
                self.conn.close()
                self.conn = None
                if attempt == 0:
                    continue
                raise
            except Exception:
                self.conn.close()
                self.conn = None
                raise
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            try:
                doc = json.loads(raw) if raw else None
            except ValueError:
                doc = None
            return r.status, hdrs, doc
        raise OSError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.bad = []
        self.orders = []

    def count(self, what, cls, status):
        with self.lock:
            k = f"{what} {cls} {status}"
            self.counts[k] = self.counts.get(k, 0) + 1

    def fail(self, msg):
        with self.lock:
            if len(self.bad) < 50:
                self.bad.append(msg)
            self.counts["bad"] = self.counts.get("bad", 0) + 1


def code_of(doc):
    return doc.get("code") if isinstance(doc, dict) else None


def retryable(status, hdrs, doc):
    if status in RETRYABLE:
        return "retry-after" in hdrs and isinstance(doc, dict)
    return status == 409 and code_of(doc) == "request_in_progress" and "retry-after" in hdrs


def call(cl, st, what, method, path, body=None, headers=None):
    """One request, retried while the answer is retryable (at most 5 times): the final
    (status, hdrs, doc), or None after a bad answer (recorded)."""
    for _ in range(6):
        try:
            status, hdrs, doc = cl.call(method, path, body, headers)
        except Exception as e:  # refused, cut, timed out: nginx must always answer
            st.fail(f"{what}: no answer from nginx: {e!r}")
            return None
        if retryable(status, hdrs, doc):
            st.count(what, "retryable", status)
            time.sleep(min(float(hdrs.get("retry-after", "1")), 2.0))
            continue
        if status in RETRYABLE or status >= 500 or doc is None:
            st.fail(f"{what}: {status} {hdrs.get('retry-after')!r} {str(doc)[:200]}")
            return None
        return status, hdrs, doc
    st.fail(f"{what}: still retryable after 6 tries")
    return None


def book(cl, st, rnd, itinerary, offer, n):
    body = {"itinerary_id": itinerary["id"], "provider": offer["provider"], "passengers": 1,
            "cabin": "economy"}
    r = call(cl, st, "offer", "POST", "/api/v1/offers", body)
    if r is None:
        return
    status, _, off = r
    if status != 201:
        st.count("offer", "business" if status in (404, 409, 410, 422) else "other", status)
        if status not in (404, 409, 410, 422):
            st.fail(f"offer: {status} {str(off)[:200]}")
        return
    st.count("offer", "ok", status)
    key = f"cluster-{cl.source}-{n}-{uuid.uuid4().hex}"
    order = {
        "offer_id": off["id"],
        "passengers": [{"given_name": "Ada", "family_name": "Lovelace",
                        "date_of_birth": "1990-12-10",
                        "document": {"type": "passport", "number": "C01X00T47", "country": "DE",
                                     "expiry": "2035-01-01"}}],
        "contact": {"email": "ada@example.com", "phone": "+15551234567"},
        "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        "expected_total": {"amount_minor": off["total"]["amount_minor"],
                           "currency": off["total"]["currency"]},
    }
    rec = {"key": key, "status": None, "order_id": None, "order_status": None, "attempts": 0}
    with st.lock:
        st.orders.append(rec)
    t0 = time.time()
    while time.time() - t0 < ORDER_BUDGET_S:
        rec["attempts"] += 1
        try:
            status, hdrs, doc = cl.call("POST", "/api/v1/orders", order, {"Idempotency-Key": key})
        except Exception as e:
            st.fail(f"order {key}: no answer from nginx: {e!r}")
            rec["status"] = "no answer"
            return
        rec["status"] = status
        if isinstance(doc, dict):
            rec["order_id"] = doc.get("id") or rec["order_id"]
            rec["order_status"] = doc.get("status")
        if retryable(status, hdrs, doc):
            st.count("order", "retryable", f"{status} {code_of(doc) or ''}".strip())
            time.sleep(min(float(hdrs.get("retry-after", "1")), 2.0))
            continue
        if status == 201:
            st.count("order", "ok", status)
        elif status == 409 and code_of(doc) in ("price_changed", "sold_out"):
            st.count("order", "business", f"409 {code_of(doc)}")
        elif status == 409 and doc.get("status") == "failed" and doc.get("id"):
            # The order itself, failed: a booking cut off before its hold is failed by
            # recovery (nothing held or charged), and its retry is told so.
            st.count("order", "business", f"409 failed {doc.get('reason')}")
        else:
            st.count("order", "other", status)
            st.fail(f"order {key}: {status} {str(doc)[:200]}")
        return
    st.fail(f"order {key}: no final answer in {ORDER_BUDGET_S} s (last {rec['status']})")


def traveller(base, idx, seconds, st):
    rnd = random.Random(idx)
    cl = Client(base, f"127.0.1.{idx + 1}")
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        t0 = time.time()
        n += 1
        o, d = ROUTES[rnd.randrange(len(ROUTES))]
        date = (datetime.date.today() + datetime.timedelta(days=rnd.randint(5, 30))).isoformat()
        r = call(cl, st, "search", "POST", "/api/v1/searches",
                 {"slices": [{"origin": o, "destination": d, "date": date}], "limit": 10})
        if r is not None:
            status, _, doc = r
            if status == 200:
                st.count("search", "ok", status)
                offers = [(it, of) for it in doc.get("itineraries", [])
                          for of in it.get("offers", []) if of.get("provider") != "separate-tickets"]
                if offers:
                    it, of = offers[rnd.randrange(len(offers))]
                    book(cl, st, rnd, it, of, n)
            else:
                st.count("search", "other", status)
                st.fail(f"search: {status} {str(doc)[:200]}")
        time.sleep(max(0.0, 0.125 - (time.time() - t0)))


def run_load(a):
    st = Stats()
    ts = [threading.Thread(target=traveller, args=(a.base, i, a.seconds, st)) for i in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(a.out, "w") as f:
        json.dump({"counts": st.counts, "bad": st.bad, "orders": st.orders}, f, indent=1)
    print(json.dumps(st.counts, sort_keys=True))


def run_burst(a):
    res = {"passed": 0, "limited": 0, "other": 0, "retry_after_ok": True}
    lock = threading.Lock()
    left = [a.requests]

    def worker():
        cl = Client(a.base, a.source)
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            try:
                status, hdrs, _ = cl.call("GET", "/api/v1/airports?q=lon&limit=1")
            except Exception:
                status, hdrs = 0, {}
            with lock:
                if status == 200:
                    res["passed"] += 1
                elif status == 429:
                    res["limited"] += 1
                    if not hdrs.get("retry-after", "").isdigit():
                        res["retry_after_ok"] = False
                else:
                    res["other"] += 1

    t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    res["seconds"] = round(time.time() - t0, 3)
    print(json.dumps(res))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["load", "burst"])
    p.add_argument("base")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--threads", type=int, default=6)
    p.add_argument("--out", default="/dev/null")
    p.add_argument("--source", default="127.0.0.1")
    p.add_argument("--requests", type=int, default=600)
    a = p.parse_args()
    run_load(a) if a.mode == "load" else run_burst(a)


if __name__ == "__main__":
    sys.exit(main())
