import { createHmac, timingSafeEqual } from "node:crypto";

import { expect } from "chai";

import type { Alert } from "@cordon/keeper/alerts/alert.js";
import { verifyWebhookSignature, webhookSink } from "@cordon/keeper/alerts/webhook.js";
import { HttpReceiver, type ReceivedRequest } from "@cordon/testkit/http-receiver.js";

const SECRET = "whsec-test-0123456789";

const alert = (over: Partial<Alert> = {}): Alert => ({
  severity: "critical",
  title: "Vault paused",
  summary: "the responder paused withdrawals",
  network: "mainnet",
  key: "outbox:pause:1",
  at: 1_700_000_000_000,
  ...over,
});

/** A receiver's check written from the documentation alone, with node:crypto, independent of the library. */
function receiverAccepts(secret: string, request: ReceivedRequest, signatureHeader = "x-cordon-signature"): boolean {
  const timestamp = request.headers["x-cordon-timestamp"];
  const signature = request.headers[signatureHeader];
  if (typeof timestamp !== "string" || typeof signature !== "string") return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(
    `v1=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe("signed webhook sink", function () {
  let receiver: HttpReceiver;

  beforeEach(async function () {
    receiver = await new HttpReceiver().start();
  });

  afterEach(async function () {
    await receiver.stop();
  });

  it("posts the alerts as JSON with a fresh timestamp and a v1 HMAC-SHA256 signature", async function () {
    const before = Math.floor(Date.now() / 1000);
    await webhookSink({ url: receiver.url("/hooks/cordon"), secret: SECRET }).send([alert()]);
    const after = Math.floor(Date.now() / 1000);
    const [request] = receiver.received;
    const timestamp = Number(request!.headers["x-cordon-timestamp"]);
    expect(timestamp).to.be.within(before, after);
    expect(request!.headers["x-cordon-signature"]).to.match(/^v1=[0-9a-f]{64}$/);
    expect(receiverAccepts(SECRET, request!)).to.equal(true);
    expect(receiverAccepts("another secret", request!)).to.equal(false);
    expect(receiverAccepts(SECRET, { ...request!, body: request!.body.replace("Vault", "Vau1t") })).to.equal(false);
    expect(JSON.parse(request!.body)).to.deep.equal({
      version: 1,
      digest: false,
      title: "Vault paused",
      alerts: [alert()],
    });
  });

  it("marks a digest and carries every alert", async function () {
    const alerts = [alert({ key: "a", severity: "low" }), alert({ key: "b", severity: "high", title: "Other" })];
    await webhookSink({ url: receiver.url(), secret: SECRET }).send(alerts);
    const [body] = receiver.json<{ digest: boolean; title: string; alerts: Alert[] }>();
    expect(body).to.deep.equal({ version: 1, digest: true, title: "2 more alerts: 1 high, 1 low", alerts });
    expect(receiverAccepts(SECRET, receiver.received[0]!)).to.equal(true);
  });

  it("signs under the header it is given", async function () {
    await webhookSink({ url: receiver.url(), secret: SECRET, header: "X-Signature" }).send([alert()]);
    const [request] = receiver.received;
    expect(request!.headers["x-cordon-signature"]).to.equal(undefined);
    expect(receiverAccepts(SECRET, request!, "x-signature")).to.equal(true);
  });

  it("verifyWebhookSignature accepts what the sink sent and rejects forgeries, replays and junk", async function () {
    await webhookSink({ url: receiver.url(), secret: SECRET }).send([alert()]);
    const [request] = receiver.received;
    const timestamp = request!.headers["x-cordon-timestamp"] as string;
    const signature = request!.headers["x-cordon-signature"] as string;
    const body = request!.body;
    const sentAt = Number(timestamp) * 1000;

    expect(verifyWebhookSignature(SECRET, timestamp, body, signature)).to.equal(true);
    expect(verifyWebhookSignature(SECRET, timestamp, Buffer.from(body), signature), "raw bytes").to.equal(true);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, sentAt + 300_000), "at the edge").to.equal(true);

    expect(verifyWebhookSignature("wrong", timestamp, body, signature), "wrong secret").to.equal(false);
    expect(verifyWebhookSignature(SECRET, timestamp, `${body} `, signature), "tampered body").to.equal(false);
    expect(verifyWebhookSignature(SECRET, Number(timestamp) + 1, body, signature), "other timestamp").to.equal(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, sentAt + 301_000), "replayed").to.equal(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, sentAt - 301_000), "from the future").to.equal(
      false,
    );
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, sentAt + 60_000, 30), "tolerance").to.equal(
      false,
    );
    for (const junk of [undefined, "", signature.slice(3), `v2=${signature.slice(3)}`, `${signature}00`, "v1=zz"]) {
      expect(verifyWebhookSignature(SECRET, timestamp, body, junk), `signature ${junk}`).to.equal(false);
    }
    for (const junk of [undefined, "", "12.5", "-1", `${timestamp}x`, [timestamp]]) {
      expect(verifyWebhookSignature(SECRET, junk, body, signature), `timestamp ${String(junk)}`).to.equal(false);
    }
  });
});
