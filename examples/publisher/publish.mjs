// Publishes one PBX user event the way hookswitch expects it: a CloudEvents 1.0 JSON
// message (structured mode) on pbx.<account>.<serviceType>.<serviceUuid>.<type>, through
// JetStream, with the event id as Nats-Msg-Id so a republish is dropped as a duplicate.
//
//   npm install cloudevents @nats-io/transport-node @nats-io/jetstream
//   NATS_URL=nats://127.0.0.1:4222 [NATS_USER=pbx-publisher NATS_PASSWORD=…] node publish.mjs
import { randomUUID } from "node:crypto";
import { CloudEvent, HTTP } from "cloudevents";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";

const account = process.env.PBX_ACCOUNT ?? "acme";
const serviceUuid = process.env.PBX_SERVICE ?? "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";
const serviceType = "mycloudpbx";
const type = process.env.PBX_EVENT_TYPE ?? "user.created";

const event = new CloudEvent({
  // Unique per change, and the same if this very change is published again: hookswitch
  // derives the webhook-id header from it, and receivers deduplicate on that.
  id: process.env.PBX_EVENT_ID ?? randomUUID(),
  source: `/accounts/${account}/services/${serviceUuid}`,
  type,
  time: new Date().toISOString(),
  datacontenttype: "application/json",
  data: {
    account,
    service: { type: serviceType, uuid: serviceUuid, name: "pbx-01", friendlyName: "Head office" },
    user: {
      extension: "201",
      name: "Alice Example",
      outboundNumber: "+61290000000",
      hasVoicemail: true,
      enabledCalls: ["Local", "National", "Mobile"],
    },
  },
});

// Structured mode: the whole event, attributes and data, is the JSON message body.
const { body } = HTTP.structured(event);
const subject = `pbx.${account}.${serviceType}.${serviceUuid}.${type}`;

// A user and password when NATS asks for them (`hookswitch permissions` names the publisher's).
const { NATS_USER: user, NATS_PASSWORD: pass } = process.env;
const nc = await connect({
  servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  ...(user ? { user, pass } : {}),
});
try {
  const js = jetstream(nc);
  // Resolves once the stream has stored the message; throws if no stream takes the subject.
  const ack = await js.publish(subject, body, { msgID: event.id });
  console.log(
    JSON.stringify({
      id: event.id,
      subject,
      stream: ack.stream,
      seq: ack.seq,
      duplicate: ack.duplicate,
    }),
  );
} finally {
  await nc.drain();
}
