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
    [[], []],
  ])("warns about %j at %j", (pathArguments, expected) => {
    const found = emptyableSegments(makeRawIntegration({ pathArguments }));
    expect(found.map((w) => w.message.split(" ")[0])).toEqual(expected);
  });

  it("names each field once with where the event holds it, and how to keep the segment", () => {
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
        "event without them leaves the segment empty, and its delivery is dead-lettered, not " +
        'sent to another URL; a segment with text of its own, e.g. "n-{outboundPhoneNumber}", ' +
        "is never empty",
    });
  });
});
