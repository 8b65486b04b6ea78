import { PORTAL_SCRIPT_PATH } from "../assets";
import { BarePage, PortalLayout, type PortalSection } from "../layout";
import type { Ended, PortalSession } from "../session";

/** Where a one-time link lands: the script trades its code; without scripts, a short message. */
export function OpeningPage() {
  return (
    <BarePage title="Opening">
      <h1>Opening your webhook portal</h1>
      {/* Filled by the script; without it only the noscript message shows. */}
      <p id="status" role="status" />
      <noscript>
        <p>
          This link opens a session with a small script, which your browser does not run. Turn on
          JavaScript for this page, or ask for the portal in a browser that runs it.
        </p>
      </noscript>
      <script src={PORTAL_SCRIPT_PATH} defer />
    </BarePage>
  );
}

/** The session is over (or there never was one): say so, show nothing else. */
export function EndedPage(props: { why: Ended }) {
  const text =
    props.why === "revoked"
      ? "This portal session was ended by the service that opened it."
      : props.why === "expired"
        ? "This portal session has expired."
        : "There is no portal session in this browser, or its link was already used.";
  return (
    <BarePage title="Session ended">
      <h1>Session ended</h1>
      <p>{text}</p>
      <p>Open the portal again from the service that gave you the link.</p>
    </BarePage>
  );
}

/** Something the session may not do, or does not exist in its app. */
export function PortalErrorPage(props: {
  session: PortalSession;
  section: PortalSection;
  title: string;
  detail: string;
}) {
  return (
    <PortalLayout title={props.title} session={props.session} section={props.section}>
      <h1>{props.title}</h1>
      <p>{props.detail}</p>
    </PortalLayout>
  );
}
