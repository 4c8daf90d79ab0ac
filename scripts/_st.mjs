import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
const nc = await connect({ servers: process.env.NATS_URL });
const jsm = await jetstreamManager(nc);
for (const s of ["PBX_EVENTS", "HOOKSWITCH_DELIVERIES"]) { const i = await jsm.streams.info(s); console.log(s, i.state.messages); }
for (const [s,c] of [["PBX_EVENTS","hookswitch"],["HOOKSWITCH_DELIVERIES","hookswitch-deliveries"]]) { const i = await jsm.consumers.info(s,c); console.log(c, "pending", i.num_pending, "ack_pending", i.num_ack_pending, "redelivered", i.num_redelivered, "waiting", i.num_waiting); }
await nc.close();
