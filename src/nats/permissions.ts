/**
 * The least a NATS user needs for each part of hookswitch, subject by subject: the daemon,
 * the dead-letter commands and the events' publisher. Built from the names the subjects are
 * made of, the same functions the daemon names them with, so that the two cannot drift.
 */
import {
  DEAD_LETTER_STREAM,
  DELIVERY_STREAM,
  deadLetterFilter,
  deliveryFilter,
  parkedSubject,
} from "./layout.js";
import { ADVISORY_STREAM, advisoryConsumerName, maxDeliveriesSubject } from "./advisory-stream.js";
import { bookmarkName } from "./consumer-bookmark.js";
import { deliveryConsumerName } from "./durable-consumers.js";

export interface PermissionNames {
  stream: string;
  subjects: string[];
  consumer: string;
  /** False under `--no-create-stream`: the event stream is never created or changed. */
  createStream: boolean;
  /** The daemon's and `dlq`'s `--inbox-prefix`. */
  inboxPrefix: string;
}

/** Subjects allowed together, and why (a comment in the configuration). */
export interface Grant {
  why: string;
  subjects: string[];
}

export interface NatsUser {
  /** The user's name, and its permissions' variable in the configuration. */
  name: string;
  variable: string;
  /** The variable its password comes from. */
  passwordVariable: string;
  role: string;
  publish: Grant[];
  subscribe: Grant[];
}

const api = (...tokens: string[]) => `$JS.API.${tokens.join(".")}`;

/** CREATE (with and without a filter), INFO, DELETE and MSG.NEXT of one consumer. */
function consumerUse(stream: string, consumer: string): string[] {
  return [
    api("CONSUMER.CREATE", stream, consumer),
    api("CONSUMER.CREATE", stream, consumer, ">"),
    api("CONSUMER.INFO", stream, consumer),
    api("CONSUMER.DELETE", stream, consumer),
    api("CONSUMER.MSG.NEXT", stream, consumer),
  ];
}

/** INFO, CREATE and UPDATE of one stream. */
function streamUse(stream: string): string[] {
  return ["INFO", "CREATE", "UPDATE"].map((op) => api(`STREAM.${op}`, stream));
}

/**
 * A deployment's users are named after its consumer (`hookswitch`, `hookswitch-dlq` and
 * `HOOKSWITCH_RUN`… for the default), so that two deployments' users can stand in one
 * `authorization` block, which nats-server takes only one of.
 */
function deploymentUserNames(consumer: string, role: "run" | "dlq") {
  const word = consumer.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  // A variable of nats-server's configuration starts with a letter or an underscore.
  const upper = /^[A-Z_]/.test(word) ? word : `HOOKSWITCH_${word}`;
  return role === "run"
    ? { name: consumer, variable: `${upper}_RUN`, passwordVariable: `${upper}_NATS_PASSWORD` }
    : {
        name: `${consumer}-dlq`,
        variable: `${upper}_DLQ`,
        passwordVariable: `${upper}_DLQ_NATS_PASSWORD`,
      };
}

function daemonUser(names: PermissionNames): NatsUser {
  return {
    ...deploymentUserNames(names.consumer, "run"),
    role: "`hookswitch run`: every replica of the deployment",
    publish: [...eventStreamGrants(names), ...ownStreamGrants(names)],
    subscribe: [
      {
        why: "Replies: JetStream's answers and the messages pulled (--inbox-prefix)",
        subjects: [`${names.inboxPrefix}.>`],
      },
      {
        why: "The same, heard while running where another stream keeps them",
        subjects: [maxDeliveriesSubject(names.stream, names.consumer)],
      },
    ],
  };
}

/** The daemon's use of JetStream's account, the deployment's event stream and its consumers. */
function eventStreamGrants(names: PermissionNames): Grant[] {
  const { stream, consumer } = names;
  const bookmark = bookmarkName(consumer);
  return [
    {
      why: "JetStream's account information, and the stream names an overlap error is told with",
      subjects: [api("INFO"), api("STREAM.NAMES")],
    },
    eventStreamGrant(names),
    {
      why: `The event consumer (--consumer) and its acknowledgements`,
      subjects: [...consumerUse(stream, consumer), `$JS.ACK.${stream}.${consumer}.>`],
    },
    {
      why: "Events read by sequence: one out of NATS deliveries, to dead-letter; one without its body",
      subjects: [api("STREAM.MSG.GET", stream)],
    },
    {
      why: `Where the event consumer starts again, kept before a filter change (${bookmark})`,
      subjects: consumerUse(stream, bookmark).filter((s) => !s.includes("MSG.NEXT")),
    },
  ];
}

function eventStreamGrant({ stream, createStream }: PermissionNames): Grant {
  if (!createStream) {
    return {
      why: "The event stream: read (--no-create-stream: never created or changed)",
      subjects: [api("STREAM.INFO", stream)],
    };
  }
  return {
    why: "The event stream: read; created, or given missing subjects (not with --no-create-stream)",
    subjects: streamUse(stream),
  };
}

/** The daemon's use of hookswitch's own streams (deliveries, dead letters, advisories). */
function ownStreamGrants({ stream, consumer }: PermissionNames): Grant[] {
  const deliveries = deliveryConsumerName(consumer);
  const advisories = advisoryConsumerName(stream, consumer);
  return [
    {
      why: "hookswitch's own streams, shared by every deployment on the account",
      subjects: [DELIVERY_STREAM, DEAD_LETTER_STREAM, ADVISORY_STREAM].flatMap(streamUse),
    },
    {
      why: `Retries and replays (${deliveries}); parked deliveries (${consumer}_<integration>, one per integration)`,
      subjects: [
        api("CONSUMER.CREATE", DELIVERY_STREAM, deliveries, deliveryFilter(consumer)),
        api("CONSUMER.CREATE", DELIVERY_STREAM, "*", parkedSubject(consumer, "*")),
        ...["INFO", "DELETE", "MSG.NEXT"].map((op) => api(`CONSUMER.${op}`, DELIVERY_STREAM, "*")),
        `$JS.ACK.${DELIVERY_STREAM}.>`,
      ],
    },
    {
      why: `Events that ran out of NATS deliveries, kept for the next replica to dead-letter (${advisories})`,
      subjects: [
        ...consumerUse(ADVISORY_STREAM, advisories).filter((s) => !s.includes("DELETE")),
        `$JS.ACK.${ADVISORY_STREAM}.${advisories}.>`,
      ],
    },
    {
      why: "The deployment's records: retries, parked deliveries, dead letters",
      subjects: [
        deliveryFilter(consumer),
        parkedSubject(consumer, ">"),
        deadLetterFilter(consumer).replace(/\*$/, ">"),
      ],
    },
  ];
}

function deadLetterUser(names: PermissionNames): NatsUser {
  return {
    ...deploymentUserNames(names.consumer, "dlq"),
    role: "`hookswitch dlq list|replay|purge`, run by an operator (same --consumer and --inbox-prefix)",
    publish: [
      { why: "JetStream's account information", subjects: [api("INFO")] },
      {
        why: "The dead letters, read through short-lived consumers of random names, and removed",
        subjects: [
          api("STREAM.INFO", DEAD_LETTER_STREAM),
          api("CONSUMER.CREATE", DEAD_LETTER_STREAM, ">"),
          api("CONSUMER.DELETE", DEAD_LETTER_STREAM, "*"),
          api("CONSUMER.MSG.NEXT", DEAD_LETTER_STREAM, "*"),
          ...["MSG.GET", "MSG.DELETE", "PURGE"].map((op) =>
            api(`STREAM.${op}`, DEAD_LETTER_STREAM),
          ),
        ],
      },
      {
        why: "Replays: a delivery goes back to the deployment's daemons, which must exist",
        subjects: [
          api("CONSUMER.INFO", DELIVERY_STREAM, deliveryConsumerName(names.consumer)),
          deliveryFilter(names.consumer),
        ],
      },
      {
        why: "Replays: a whole event (it ran out of NATS deliveries, or was too large) is published again",
        subjects: names.subjects,
      },
    ],
    subscribe: [{ why: "Replies (--inbox-prefix)", subjects: [`${names.inboxPrefix}.>`] }],
  };
}

function publisherUser(names: PermissionNames): NatsUser {
  return {
    name: "pbx-publisher",
    variable: "PBX_PUBLISHER",
    passwordVariable: "PBX_PUBLISHER_NATS_PASSWORD",
    role: "The PBX's publisher of user events, and `hookswitch emit`",
    publish: [
      {
        why: "`emit` finds the stream that takes its subject",
        subjects: [api("INFO"), api("STREAM.NAMES")],
      },
      { why: "The events", subjects: names.subjects },
    ],
    subscribe: [
      {
        // Not the daemon's prefix: the publisher would read hookswitch's replies.
        why: "JetStream's acknowledgements of what it publishes (emit without --inbox-prefix)",
        subjects: ["_INBOX.>"],
      },
    ],
  };
}

/** The three users, in the order the configuration lists them. */
export function natsPermissions(names: PermissionNames): NatsUser[] {
  return [daemonUser(names), deadLetterUser(names), publisherUser(names)];
}
