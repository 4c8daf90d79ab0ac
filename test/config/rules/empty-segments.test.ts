import { describe, expect, it } from "vitest";
import { emptyableSegments } from "../../../src/config/rules/empty-segments.js";
import { makeRawIntegration } from "../../support/integration.js";

describe("emptyableSegments: path arguments an event can leave empty", () => {
  it.each<[string[], string[]]>([
    [["{outboundPhoneNumber}"], ["webhook.pathArguments[0]"]],
    [["{serviceUuid}", "{name}{serviceName}"], ["webhook.pathArguments[1]"]],
    [
      ["{hasVoicemail}", "{eventTime}"],
      ["webhook.pathArguments[0]", "webhook.pathArguments[1]"],
    ],
    [["ext-{extensionNumber}"], []],
    [["{name}{account}"], []],
    [["{serviceUuid}", "{dateTime}", "{eventId}"], []],
    [["${env:SEGMENT}"], []],
    [["$${name}"], []],
    [["{unknown}"], []],
    [[""], []],
    [[], []],
  ])("warns about %j at %j", (pathArguments, expected) => {
    const found = emptyableSegments(makeRawIntegration({ pathArguments }));
    expect(found.map((w) => w.message.split(" ")[0])).toEqual(expected);
  });

  it("says first what happens to an event without the field, then what a receiver may accept", () => {
    const [warning] = emptyableSegments(
      makeRawIntegration({ pathArguments: ["{outboundPhoneNumber}-{name}{outboundPhoneNumber}"] }),
    );
    expect(warning).toBeUndefined();
    const [only] = emptyableSegments(
      makeRawIntegration({ pathArguments: ["{outboundPhoneNumber}{name}{outboundPhoneNumber}"] }),
    );
    expect(only).toEqual({
      path: ["webhook", "pathArguments", 0],
      message:
        "webhook.pathArguments[0] is made only of fields an event may lack " +
        "(outboundPhoneNumber, from data.user.outboundNumber; name, from data.user.name): an " +
        "event with none of them is not sent but dead-lettered as EMPTY_PATH_ARGUMENT (see " +
        "hookswitch dlq list), as its segment would be empty; if the receiver accepts a " +
        'segment with text of its own, such as "n-{outboundPhoneNumber}", that is never empty',
    });
  });
});

describe("emptyableSegments on the commonest REST shape", () => {
  it("says such events are dead-lettered, and offers other text only if the receiver takes it", () => {
    const [warning] = emptyableSegments(
      makeRawIntegration({ pathArguments: ["{extensionNumber}"] }),
    );
    expect(warning?.message).toBe(
      "webhook.pathArguments[0] is made only of fields an event may lack " +
        "(extensionNumber, from data.user.extension): an event without extensionNumber is not " +
        "sent but dead-lettered as EMPTY_PATH_ARGUMENT (see hookswitch dlq list), as its " +
        "segment would be empty; if the receiver accepts a segment with text of its own, such " +
        'as "n-{extensionNumber}", that is never empty',
    );
  });
});
