import { describe, expect, it } from "vitest";
import { subjectMismatch } from "../../src/events/subject-match.js";
import { buildSampleEvent } from "../../src/events/sample.js";

const UUID = "3f0c6f8e-6a0b-4a39-9b1e-0d6f1f3f4a11";
const event = buildSampleEvent(
  {
    type: "user.created",
    account: "acme",
    serviceType: "mycloudpbx",
    serviceUuid: UUID,
  },
  { id: "e-1", time: "2026-12-02T08:00:00.000Z" },
);
const ending = "does not end in .<account>.<serviceType>.<serviceUuid>.<type> of the event: ";

describe("subjectMismatch: whether the subject names what the event says", () => {
  it.each<[string, string | undefined]>([
    [`pbx.acme.mycloudpbx.${UUID}.user.created`, undefined],
    [`pbx.acme.mycloudpbx.${UUID.toUpperCase()}.user.created`, undefined],
    // The stream's own prefix is free.
    [`tenants.eu.pbx.acme.mycloudpbx.${UUID}.user.created`, undefined],
    [
      `pbx.globex.mycloudpbx.${UUID}.user.created`,
      'it names account "globex", the event is for "acme"',
    ],
    [
      `pbx.Acme.mycloudpbx.${UUID}.user.created`,
      'it names account "Acme", the event is for "acme"',
    ],
    [
      `pbx.acme.otherpbx.${UUID}.user.created`,
      'it names service type "otherpbx", the event is for "mycloudpbx"',
    ],
    [
      "pbx.acme.mycloudpbx.11111111-2222-4333-8444-555555555555.user.created",
      `it names service "11111111-2222-4333-8444-555555555555", the event is for "${UUID}"`,
    ],
    [
      `pbx.acme.mycloudpbx.${UUID}.user.deleted`,
      'it names event type "user.deleted", the event is for "user.created"',
    ],
    [`acme.mycloudpbx.${UUID}.user.created`, undefined],
    [`mycloudpbx.${UUID}.user.created`, "it has too few tokens"],
    ["pbx.events", "it has too few tokens"],
  ])("%s: %j", (subject, why) => {
    const found = subjectMismatch(subject, event);
    expect(found).toBe(
      why === undefined ? undefined : `its subject ${JSON.stringify(subject)} ${ending}${why}`,
    );
  });

  it.each([UUID.toUpperCase(), `urn:uuid:${UUID}`])(
    "reads an event's service UUID %s as matching reads it, against a subject in lower case",
    (serviceUuid) => {
      const written = buildSampleEvent(
        { type: "user.created", account: "acme", serviceType: "mycloudpbx", serviceUuid },
        { id: "e-2", time: "2026-12-02T08:00:00.000Z" },
      );
      expect(subjectMismatch(`pbx.acme.mycloudpbx.${UUID}.user.created`, written)).toBeUndefined();
    },
  );

  it("quotes no more than the start of a long account", () => {
    const long = "a".repeat(5_000);
    const found = subjectMismatch(`pbx.${long}.mycloudpbx.${UUID}.user.created`, event) ?? "";
    expect(found.length).toBeLessThan(600);
  });
});
