// The baseline: the short script a user would write instead of hookswitch — consume the
// stream, POST each event with global fetch, ack on 2xx, 64 requests in flight. No retries,
// no dead letters, no config, no metrics.
//   node baseline.mjs <nats-url> <stream> <consumer> <url> <all|new>
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { webhookBody } from "./events.mjs";

const [natsUrl, stream, name, url, deliver] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl });
const policy = deliver === "new" ? DeliverPolicy.New : DeliverPolicy.All;
await (
  await jetstreamManager(nc)
).consumers.add(stream, {
  durable_name: name,
  ack_policy: AckPolicy.Explicit,
  deliver_policy: policy,
});
const consumer = await jetstream(nc).consumers.get(stream, name);
let inFlight = 0;
const waiting = [];
for await (const msg of await consumer.consume({ max_messages: 64 })) {
  while (inFlight >= 64) await new Promise((resolve) => waiting.push(resolve));
  inFlight++;
  const event = msg.json();
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": event.id },
    body: webhookBody(event),
  })
    .then(async (response) => (await response.arrayBuffer(), response.ok ? msg.ack() : msg.nak()))
    .catch(() => msg.nak())
    .finally(() => (inFlight--, waiting.shift()?.()));
}
