import { describe, expect, it } from "vitest";
import { curlCommand, MessageView, type ViewMessage } from "../../src/ui/components/message-view";

const message = (n: number): ViewMessage => ({
  id: "msg_01M8FEV7PA2EVD8G14BBVQNZJ2",
  eventType: "order.created",
  createdAt: "2026-11-27T10:00:00.000Z",
  deliveries: Array.from({ length: n }, (_, i) => ({
    id: `dlv_${i}`,
    endpointId: `ep_${String(i).padStart(26, "0")}`,
    status: i % 2 === 0 ? "succeeded" : "dead",
    attempts: 1,
  })),
});

function render(props: Parameters<typeof MessageView>[0]): string {
  return String(MessageView(props));
}

describe("MessageView", () => {
  it("shows the payload exactly, indented and raw, and Replay only on dead deliveries", () => {
    const html = render({
      message: message(2),
      payload: '{"big":12345678901234567890123}',
      attempts: [],
      canReplay: true,
      csrf: "tok",
      baseUrl: "/portal",
    });
    expect(html).toContain("&quot;big&quot;: 12345678901234567890123");
    expect(html).toContain("{&quot;big&quot;:12345678901234567890123}");
    expect(html.match(/action="\/portal\/dead-letters\/dlv_1\/replay"/g)).toHaveLength(1);
    expect(html).not.toContain("dlv_0/replay");
    expect(html).not.toContain("<script");
  });

  it("lists the first 200 deliveries of a wide fan-out and counts the rest by status", () => {
    const html = render({
      message: message(250),
      payload: "{}",
      attempts: [],
      canReplay: false,
      baseUrl: "/dashboard/apps/app_1",
    });
    expect(html).toContain("The first 200 of 250 deliveries; by status: 125 succeeded, 125 dead.");
    expect(html).not.toContain("ep_00000000000000000000000249");
  });
});

describe("MessageView: payload filters", () => {
  it("lists the endpoints a payload filter left out, linked like the deliveries", () => {
    const html = render({
      message: { ...message(1), filtered: ["ep_01M8FEV7PA2EVD8G14BBVQNZJ3"] },
      payload: "{}",
      attempts: [],
      canReplay: false,
      baseUrl: "/dashboard/apps/app_1",
      linkEndpoints: true,
    });
    expect(html).toContain('<h3 id="filtered-h">Filtered</h3>');
    expect(html).toContain("its payload filter refused this message");
    expect(html).toContain("/dashboard/apps/app_1/endpoints/ep_01M8FEV7PA2EVD8G14BBVQNZJ3");
  });

  it("says so when every endpoint filtered the message out, and shows nothing without filters", () => {
    const html = render({
      message: { ...message(0), filtered: ["ep_01M8FEV7PA2EVD8G14BBVQNZJ3"] },
      payload: "{}",
      attempts: [],
      canReplay: false,
      baseUrl: "/portal",
    });
    expect(html).toContain("every endpoint that takes this event type filtered it out");
    expect(
      render({
        message: message(1),
        payload: "{}",
        attempts: [],
        canReplay: false,
        baseUrl: "/portal",
      }),
    ).not.toContain("filtered-h");
  });
});

describe("curlCommand", () => {
  it("quotes for the shell and keeps redacted values redacted", () => {
    const curl = curlCommand({
      method: "POST",
      url: "https://r.example.com/h?a=1&b='x'",
      headers: [
        { name: "webhook-id", value: "msg_1" },
        { name: "authorization", value: "Bearer [redacted]", redacted: true },
      ],
      body: `{"note":"it's"}`,
      signature: { recomputed: false, detail: "" },
      notes: [],
    });
    expect(curl).toBe(
      [
        "curl -X POST 'https://r.example.com/h?a=1&b='\"'\"'x'\"'\"''",
        "  -H 'webhook-id: msg_1'",
        "  -H 'authorization: Bearer [redacted]'",
        `  --data-raw '{"note":"it'"'"'s"}'`,
      ].join(" \\\n"),
    );
  });
});
