import { expect } from "chai";

import type { Alert, Severity } from "@cordon/keeper/alerts/alert.js";
import { Alerter, type AlerterOptions } from "@cordon/keeper/alerts/alerter.js";
import { discordSink, pagerDutySink, slackSink } from "@cordon/keeper/alerts/sinks.js";
import { webhookSink } from "@cordon/keeper/alerts/webhook.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";

let counter = 0;
const alert = (severity: Severity = "high", title = `alert ${++counter}`): Alert => ({
  severity,
  title,
  summary: `${title} happened`,
  network: "local",
  key: `key-${title}`,
  at: Date.now(),
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Logged {
  event: string;
  fields: Record<string, unknown>;
}

/** The keys of each message a webhook receiver got: [[k1], [k2], [k3, k4]] (a digest has several). */
const messages = (receiver: HttpReceiver) =>
  receiver.json<{ alerts: Alert[] }>().map((b) => b.alerts.map((a) => a.key));

describe("Alerter against local receivers", function () {
  let receivers: HttpReceiver[];
  let alerters: Alerter[];
  let logged: Logged[];

  const receiver = async () => {
    const r = await new HttpReceiver().start();
    receivers.push(r);
    return r;
  };
  const alerter = (options: AlerterOptions) => {
    const a = new Alerter({ backoffMs: 20, log: (event, fields) => logged.push({ event, fields }), ...options });
    alerters.push(a);
    return a;
  };
  const webhook = (r: HttpReceiver, name = "hook") => webhookSink({ name, url: r.url("/hook"), secret: "s3cret-key" });
  const events = (event: string) => logged.filter((l) => l.event === event).map((l) => l.fields);

  beforeEach(function () {
    receivers = [];
    alerters = [];
    logged = [];
  });

  afterEach(async function () {
    for (const r of receivers) r.hangUp();
    await Promise.all(alerters.map((a) => a.close()));
    await Promise.all(receivers.map((r) => r.stop()));
  });

  it("delivers each alert to every sink; notify returns at once and flush waits for delivery", async function () {
    const [a, b] = [await receiver(), await receiver()];
    a.reply = () => ({ delayMs: 200 });
    const alerts = alerter({ sinks: [webhook(a, "a"), webhook(b, "b")] });
    const started = performance.now();
    alerts.notify(alert("medium", "one"));
    alerts.notify(alert("low", "two"));
    expect(performance.now() - started, "not waiting for the 200 ms answer").to.be.below(100);
    expect(alerts.stats()).to.deep.include({ sent: 0, queued: 4 });
    await alerts.flush();
    expect(messages(a)).to.deep.equal([["key-one"], ["key-two"]]);
    expect(messages(b)).to.deep.equal([["key-one"], ["key-two"]]);
    expect(alerts.stats()).to.deep.equal({ sent: 4, failed: 0, summarized: 0, queued: 0 });
  });

  it("retries after 5xx answers until the receiver takes it", async function () {
    const r = await receiver();
    r.reply = (_, n) => (n < 2 ? { status: n === 0 ? 500 : 503 } : {});
    const alerts = alerter({ sinks: [webhook(r)] });
    alerts.notify(alert("high", "flaky"));
    await alerts.flush();
    expect(r.received).to.have.length(3);
    expect(events("alert.retry").map((f) => [f.sink, f.status, f.attempt])).to.deep.equal([
      ["hook", 500, 1],
      ["hook", 503, 2],
    ]);
    expect(events("alert.sent")).to.deep.equal([
      { sink: "hook", count: 1, keys: ["key-flaky"], digest: false, attempts: 3 },
    ]);
    expect(alerts.stats()).to.deep.include({ sent: 1, failed: 0 });
  });

  it("waits as long as a 429's Retry-After says, not the (shorter) backoff", async function () {
    const r = await receiver();
    r.reply = (_, n) => (n === 0 ? { status: 429, headers: { "retry-after": "1" } } : {});
    const alerts = alerter({ sinks: [webhook(r)], backoffMs: 5 });
    alerts.notify(alert("high", "limited"));
    await alerts.flush();
    expect(r.received).to.have.length(2);
    expect(r.received[1]!.at - r.received[0]!.at).to.be.within(950, 1500);
    expect(events("alert.retry")[0]).to.deep.include({ status: 429, delayMs: 1000 });
  });

  it("gives up at once on a 400, and after the last retry on a receiver that is down", async function () {
    const bad = await receiver();
    bad.reply = () => ({ status: 400, body: "invalid_payload" });
    const gone = await receiver();
    await gone.stop();
    const alerts = alerter({ sinks: [slackSink({ name: "bad", url: bad.url() }), webhook(gone, "gone")], retries: 2 });
    alerts.notify(alert("high", "doomed"));
    await alerts.flush();
    expect(bad.received).to.have.length(1);
    const failed = events("alert.failed");
    expect(failed.find((f) => f.sink === "bad")).to.deep.include({ status: 400, attempts: 1, permanent: true });
    expect(failed.find((f) => f.sink === "gone")).to.deep.include({ status: undefined, attempts: 3, permanent: false });
    expect(events("alert.retry").filter((f) => f.sink === "gone")).to.have.length(2);
    expect(events("alert.retry").filter((f) => f.sink === "bad")).to.have.length(0);
    expect(alerts.stats()).to.deep.equal({ sent: 0, failed: 2, summarized: 0, queued: 0 });
  });

  it("holds alerts beyond the rate limit and sends them as one digest when the window allows", async function () {
    const r = await receiver();
    const alerts = alerter({ sinks: [webhook(r)], maxPerMinute: 2, windowMs: 800 });
    const severities: Severity[] = ["low", "high", "medium", "high", "low", "info", "medium"];
    const notifiedAt = Date.now();
    severities.forEach((s, i) => alerts.notify(alert(s, `burst-${i}`)));
    await r.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received, "nothing more inside the window").to.have.length(2);
    await r.waitFor(3, 2_000);
    // The window counts from the first send, which is after `notifiedAt`: a loaded machine cannot make this early.
    expect(r.received[2]!.at - notifiedAt).to.be.at.least(800);
    expect(messages(r)).to.deep.equal([
      ["key-burst-0"],
      ["key-burst-1"],
      ["key-burst-2", "key-burst-3", "key-burst-4", "key-burst-5", "key-burst-6"],
    ]);
    expect(r.json<{ title: string }>()[2]!.title).to.equal("5 more alerts: 1 high, 2 medium, 1 low, 1 info");
    expect(events("alert.held")).to.have.length(1);
    await alerts.flush();
    expect(alerts.stats()).to.deep.equal({ sent: 7, failed: 0, summarized: 5, queued: 0 });
  });

  it("flush sends what the rate limit holds at once, as one digest", async function () {
    const r = await receiver();
    const alerts = alerter({ sinks: [webhook(r)], maxPerMinute: 1 });
    for (const title of ["f1", "f2", "f3"]) alerts.notify(alert("medium", title));
    const started = Date.now();
    await alerts.flush();
    expect(Date.now() - started).to.be.below(2_000);
    expect(messages(r)).to.deep.equal([["key-f1"], ["key-f2", "key-f3"]]);
  });

  it("sends a critical alert ahead of queued lower ones, past a full window and a slow request", async function () {
    const r = await receiver();
    r.reply = (_, n) => ({ delayMs: n === 0 ? 300 : 0 });
    const alerts = alerter({ sinks: [webhook(r)], maxPerMinute: 1 });
    for (const title of ["low-1", "low-2", "low-3"]) alerts.notify(alert("low", title));
    await r.waitFor(1);
    alerts.notify(alert("critical", "critical"));
    await r.waitFor(2);
    expect(messages(r)).to.deep.equal([["key-low-1"], ["key-critical"]]);
    expect(r.received[1]!.at - r.received[0]!.at, "not after the slow answer").to.be.below(250);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received, "the lows stay held: the window is full").to.have.length(2);
    await alerts.flush();
    expect(messages(r)[2]).to.deep.equal(["key-low-2", "key-low-3"]);
  });

  it("does not make a critical alert wait for a lower alert's retries", async function () {
    const r = await receiver();
    r.reply = (_, n) => (n === 0 ? { status: 500 } : {});
    const alerts = alerter({ sinks: [webhook(r)], backoffMs: 1_000 });
    alerts.notify(alert("low", "retried"));
    await r.waitFor(1);
    alerts.notify(alert("critical", "urgent"));
    await r.waitFor(2);
    expect(messages(r)[1]).to.deep.equal(["key-urgent"]);
    expect(r.received[1]!.at - r.received[0]!.at).to.be.below(400);
    await alerts.flush();
    expect(messages(r)[2]).to.deep.equal(["key-retried"]);
  });

  it("does not let a hung sink delay another", async function () {
    const hung = await receiver();
    hung.reply = (_, n) => (n === 0 ? { delayMs: 60_000 } : {});
    const healthy = await receiver();
    const alerts = alerter({ sinks: [webhook(hung, "hung"), webhook(healthy, "healthy")] });
    for (const title of ["d1", "d2", "d3"]) alerts.notify(alert("high", title));
    await healthy.waitFor(3, 1_000);
    expect(hung.received).to.have.length(1);
    await until(() => alerts.stats().sent === 3);
    expect(alerts.stats().queued, "only the hung sink's").to.equal(3);
    hung.hangUp();
    await alerts.flush();
    expect(messages(hung).slice(1)).to.deep.equal([["key-d1"], ["key-d2"], ["key-d3"]]);
    expect(events("alert.retry")).to.have.length(1);
    expect(events("alert.retry")[0]).to.deep.include({ sink: "hung", status: undefined });
    expect(alerts.stats()).to.deep.equal({ sent: 6, failed: 0, summarized: 0, queued: 0 });
  });

  it("never logs a URL, a signing secret or a routing key, whatever goes wrong", async function () {
    const r = await receiver();
    // Fails the first try with a 500, then echoes the request back with a 400 (as some receivers do).
    r.reply = (req, n) => (n < 4 ? { status: 500, body: req.path } : { status: 400, body: `${req.path} ${req.body}` });
    const down = await receiver();
    await down.stop();
    const secrets = ["slackpathsecret", "discordpathsecret", "pdroutingsecret", "hmacsigningsecret", "downpathsecret"];
    const alerts = alerter({
      sinks: [
        slackSink({ name: "slack", url: r.url("/services/T0/B0/slackpathsecret") }),
        discordSink({ name: "discord", url: r.url("/api/webhooks/1/discordpathsecret") }),
        pagerDutySink({ name: "pagerduty", routingKey: "pdroutingsecret", url: r.url("/v2/enqueue") }),
        webhookSink({ name: "webhook", url: r.url("/hook"), secret: "hmacsigningsecret" }),
        webhookSink({ name: "down", url: down.url("/hooks/downpathsecret"), secret: "hmacsigningsecret" }),
      ],
      retries: 1,
    });
    alerts.notify(alert("critical", "leak check"));
    await alerts.flush();
    const failed = events("alert.failed");
    expect(failed.map((f) => f.sink).sort()).to.deep.equal(["discord", "down", "pagerduty", "slack", "webhook"]);
    expect(failed.filter((f) => f.status === 400)).to.have.length(4);
    expect(events("alert.retry").map((f) => f.status)).to.include.members([500, undefined]);
    const text = JSON.stringify(logged);
    for (const secret of [...secrets, r.url(), down.url(), "127.0.0.1"]) {
      expect(text, `a log line holds ${secret}`).to.not.contain(secret);
    }
  });

  it("routes by severity: the alerter's minimum and a sink's own (PagerDuty pages on high and up)", async function () {
    const [chat, pager] = [await receiver(), await receiver()];
    const alerts = alerter({
      sinks: [webhook(chat, "chat"), pagerDutySink({ routingKey: "rk", url: pager.url(), minSeverity: "high" })],
      minSeverity: "low",
    });
    for (const s of ["info", "low", "medium", "high", "critical"] as const) alerts.notify(alert(s, `sev-${s}`));
    await alerts.flush();
    expect(messages(chat).flat().sort()).to.deep.equal([
      "key-sev-critical",
      "key-sev-high",
      "key-sev-low",
      "key-sev-medium",
    ]);
    expect(
      pager
        .json<{ dedup_key: string }>()
        .map((e) => e.dedup_key)
        .sort(),
    ).to.deep.equal(["key-sev-critical", "key-sev-high"]);
  });

  it("sends a key once, survives a throwing logger, and refuses alerts after close without throwing", async function () {
    const r = await receiver();
    const alerts = new Alerter({
      sinks: [webhook(r)],
      log: () => {
        throw new Error("logger down");
      },
    });
    const once = alert("high", "same");
    alerts.notify(once);
    alerts.notify({ ...once, summary: "again" });
    await alerts.close();
    expect(() => alerts.notify(alert("critical", "late"))).to.not.throw();
    await alerts.flush();
    expect(messages(r)).to.deep.equal([["key-same"]]);

    const logging = alerter({ sinks: [webhook(r)] });
    logging.notify(once);
    logging.notify(once);
    logging.notify({ ...alert(), severity: "severe" as Severity, key: "typo" });
    await logging.close();
    logging.notify(alert("critical", "late"));
    expect(events("alert.duplicate")).to.deep.equal([{ key: "key-same" }]);
    expect(events("alert.invalid")).to.deep.equal([{ key: "typo", severity: "severe" }]);
    expect(events("alert.refused")).to.deep.equal([{ key: "key-late", why: "the alerter is closed" }]);
    expect(logging.stats()).to.deep.equal({ sent: 1, failed: 0, summarized: 0, queued: 0 });
  });

  it("rejects sinks with the same name and limits that are not positive integers", function () {
    const url = "http://127.0.0.1:9/";
    expect(() => new Alerter({ sinks: [slackSink({ url }), slackSink({ url })] }))
      .to.throw(CordonError, 'two sinks are named "slack"')
      .with.property("details")
      .that.contains("distinct `name`");
    expect(() => new Alerter({ sinks: [], maxPerMinute: 0 })).to.throw(
      CordonError,
      "maxPerMinute must be an integer >= 1, got 0",
    );
    expect(() => new Alerter({ sinks: [], retries: -1 })).to.throw(
      CordonError,
      "retries must be an integer >= 0, got -1",
    );
    expect(() => new Alerter({ sinks: [], backoffMs: Number.NaN })).to.throw(CordonError, "backoffMs");
  });
});
