"""Reddit: submissions found by searching r/CRM, r/sales and r/smallbusiness for "acme", and
comments from those communities' comment listing (kept by the connector only when they say
"acme"; the ones that do not are in the listing all the same, as on Reddit)."""

from . import P

SUBMISSIONS = [
    P("chatter", d="11-06", sub="CRM", key="rd.renewal-pipelines",
      title="Acme CRM users: how do you split renewals from new business?",
      text="""
We moved to Acme CRM in the spring and I still can't decide whether renewals should live in their own pipeline or as a stage in the main one. Right now they're a separate pipeline with four stages (90 days out, quoted, verbal, signed) and it works, but the forecast view only shows one pipeline at a time.

How are other people doing it? Bonus points if you've got a report in Acme Insights that shows both side by side.
"""),
    P("intent", d="11-07", sub="smallbusiness", key="rd.landscaping-crm",
      title="Best CRM for a 3-person landscaping business?",
      text="""
My wife and I run a landscaping company with one full-time guy. Quotes live in a notebook, follow-ups live in my head, and we lost at least two jobs this year because nobody called back.

I've been looking at Acme CRM and Zoho. We need something that works on a phone in a truck, can send a quote, and reminds me to call people. Budget is maybe $60/month for all of us. Anyone using either for a trades business? Which one would you buy?
"""),
    P("competitor", d="11-08", sub="sales", key="rd.pipedrive-prices",
      title="Pipedrive raised prices again, anyone else re-evaluating?",
      text="""
Got the email this morning: our Pipedrive plan goes up about 18% at renewal. It's still cheaper than HubSpot for what we use, but this is the second increase in two years.

Not planning to move yet, just curious who else got the email and whether anyone has actually priced out Acme CRM or Freshsales as a comparison.
"""),
    P("chatter", d="11-09", sub="CRM", by="c:omar", key="rd.inbox-rules-foods",
      title="Acme Inbox rules that saved us hours (food distributor edition)",
      text="""
We get ~400 emails a day from restaurants placing orders, changing orders, and complaining about late deliveries. Three rules in Acme Inbox changed my life:

1. Anything with "order" + a PO number goes to the order desk and gets tagged with the account.
2. Anything from a domain marked VIP in the CRM jumps the queue.
3. Replies to delivery confirmations get assigned back to whoever sent the confirmation.

Took an afternoon to set up. Happy to share screenshots if anyone wants them.
"""),
    P("chatter", d="11-10", sub="CRM", key="rd.sync-411-changelog",
      title="Acme Sync 4.11 is out: changelog thread",
      text="""
Rolling out to workspaces this week. Highlights from the release notes:

- Contacts edited on mobile now sync in under a minute
- New conflict view when the same contact changes on two devices
- Outlook calendar sync supports shared calendars
- Google Contacts labels map to Acme tags

Post what you notice after updating.
"""),
    P("chatter", d="11-10", sub="CRM", key="rd.outlook-plugin",
      title="Does the Acme Sync Outlook add-in work with the new Outlook?",
      text="""
IT is pushing everyone to the new Outlook for Windows next month. Has anyone confirmed whether the Acme Sync add-in shows up there, or is it classic Outlook only? Can't find anything definite in the docs.
"""),
    P("complaint", d="11-11", sub="CRM", by="c:maya", key="rd.sync-drops-contacts",
      title="Acme Sync keeps dropping contacts from our shared inbox",
      text="""
Since the 4.11 update Acme Sync silently drops contacts that were edited on mobile. We lost 40+ customer records this week, including two of our biggest accounts.

Support ticket has been open for six days without a real reply, just "we're looking into it". We pay for the enterprise plan and this is not acceptable. Is anyone else seeing this?
"""),
    P("intent", d="11-12", sub="smallbusiness", key="rd.bakery-crm",
      title="Spreadsheet to CRM: is Acme CRM overkill for a bakery with wholesale accounts?",
      text="""
We sell to about 60 cafes and a few grocery stores. Orders come in by email and text, and I track everything in a Google Sheet that's become a monster.

Is something like Acme CRM overkill for that? I mainly want one place for each cafe's contacts, order history, and a reminder when someone hasn't ordered in two weeks. What does it actually cost for two users, and is there a free trial?
"""),
    P("complaint", d="11-12", sub="CRM", key="rd.duplicates-everywhere",
      title="Duplicate contacts everywhere after 4.11",
      text="""
Updated to Acme Sync 4.11 on Monday. By Wednesday we had 900 duplicate contacts. Every contact that was touched on a phone and a laptop in the same day now exists twice, and the merge tool times out after about 50 merges.

I've spent two evenings merging by hand. This is basic stuff and it shipped broken.
"""),
    P("chatter", d="11-13", sub="sales", key="rd.crm-hygiene",
      title="What's your daily CRM hygiene routine?",
      text="""
Mine, for what it's worth (we're on Acme CRM but this applies anywhere): 15 minutes at 8:30 closing out yesterday's tasks, logging any calls I forgot, and moving deals whose close date already passed. Fridays I look at every deal with no activity in 14 days.

What do you do? Looking to steal good habits.
"""),
    P("competitor", d="11-14", sub="CRM", key="rd.hubspot-vs-acme-notes",
      title="HubSpot vs Acme CRM for a support-heavy team: my notes after two trials",
      text="""
We ran both trials for three weeks with our five-person support team. Notes in case they help someone:

HubSpot: the help desk is more polished and the knowledge base is great. Reporting is better out of the box. Pricing jumps hard once you need more than two seats on Service Hub Professional.

Acme CRM: Acme Inbox is simpler and the rules are easier to reason about. Sync with Outlook was more reliable in our test than HubSpot's. Reporting needs the Insights add-on to be useful.

We went with HubSpot in the end because of the knowledge base, but it was close.
"""),
    P("chatter", d="11-15", sub="sales", key="rd.sdr-dashboard",
      title="Our SDR team's Acme CRM dashboard setup",
      text="""
A few people asked after my comment last week, so here's the layout we use for eight SDRs in Acme Insights: activity per rep (calls, emails, meetings booked), meetings booked vs target by week, and a simple "replied but no follow-up in 48h" list that managers look at every morning.

The last one did more for our conversion than any training.
"""),
    P("complaint", d="11-15", sub="CRM", by="c:ravi", key="rd.billed-twice",
      title="Acme billed us for the old and the new plan after we removed seats",
      text="""
We removed two seats on the 3rd and the next invoice charged us for the old and the new plan. Billing keeps closing the ticket as "resolved" without a refund.

Shah & Sons has been a customer for four years, and this is the first time I'm seriously considering leaving. Has anyone managed to get a human in Acme billing on the phone?
"""),
    P("chatter", d="11-16", sub="smallbusiness", key="rd.csv-accents",
      title="Tip: Acme's CSV import handles accented names properly now",
      text="""
For anyone who gave up on importing customer lists into Acme CRM because names like "Zoë" or "Müller" came out as garbage: it's fixed. Save the file as UTF-8 and the importer gets it right. Took me a year to try again, so maybe this saves someone else the wait.
"""),
    P("intent", d="11-17", sub="sales", key="rd.off-hubspot-12",
      title="Moving off HubSpot: is Acme CRM worth it for a 12 person sales team?",
      text="""
Our HubSpot renewal is up in January and the quote doubled. Shortlist is Acme CRM and Pipedrive.

Anyone running Acme CRM with a team of about 12? How does pricing work once you add the Acme Inbox seats? We want to decide before the end of the month.
"""),
    P("complaint", d="11-18", sub="CRM", key="rd.webhooks-zapier",
      title="Webhooks v3 migration broke our Zapier flows",
      text="""
Acme moved everyone to webhooks v3 this week and didn't mention that the payload format changed. Every Zap that read deal.owner.email now fails because it's nested differently.

We found out when a customer asked why nobody had followed up on their quote. Three days of leads went nowhere. A migration guide with one example is not enough warning for a breaking change.
"""),
    P("chatter", d="11-18", sub="sales", key="rd.q4-sequences",
      title="Cold email + CRM sequencing: what's working in Q4?",
      text="""
We send sequences out of Acme CRM (4 touches over 12 days). Reply rates dropped from 6% to about 3.5% since September, which I think is mostly inbox providers getting stricter.

Things that helped a bit: plain text only, no tracking pixel on the first email, and a real question in the subject line. What are you all seeing?
"""),
    P("chatter", d="11-19", sub="CRM", key="rd.insights-reports",
      title="Acme Insights: share your favourite reports",
      text="""
I'll start: "first response time by customer tier" for the support team, and "deals by source by month" for marketing. Both took about ten minutes to build.

What's on your dashboard?
"""),
    P("competitor", d="11-19", sub="sales", key="rd.pipedrive-ai",
      title="Pipedrive's new AI assistant vs Acme Inbox triage: first impressions",
      text="""
Tried both this week on the same shared mailbox (copied, obviously). Pipedrive's assistant is better at drafting replies. Acme's triage is better at deciding what's urgent, mostly because it can see the customer's tier and open deals.

Neither is going to replace a person reading the inbox, but both save maybe 20 minutes a day.
"""),
    P("complaint", d="11-21", sub="CRM", by="c:aisha", key="rd.insights-10k",
      title="Acme Insights exports cut off at 10,000 rows with no warning",
      text="""
Our month-end report for the owners of 140 buildings got silently truncated at 10,000 rows. No warning, no error, the CSV just stops. We sent owners wrong numbers before anyone noticed.

Support says it's "a known limit" but it isn't in the docs anywhere. We pay extra for Insights precisely for this report.
"""),
    P("intent", d="11-21", sub="smallbusiness", key="rd.property-team-inbox",
      title="Need a CRM with a shared inbox for a 6-person property management team",
      text="""
We manage about 300 rental units and every tenant request comes to one Gmail address that six of us read. Things get answered twice or not at all.

Looking for a CRM with a proper shared inbox, assignment, and a record per tenant and unit. Acme CRM and Front keep coming up. What do you use, and roughly what do you pay per user? We'd like to switch in January.
"""),
    P("chatter", d="11-22", sub="CRM", key="rd.ai-triage-news",
      title="Acme announces AI triage for Acme Inbox",
      text="""
From their blog: incoming messages get sorted by urgency and topic before anyone opens them, using the customer's history in the CRM. Available on the Business plan from January, beta sign-up open now.

Curious whether it runs on their servers or a third party's. Nothing about that in the announcement.
"""),
    P("complaint", d="11-22", sub="smallbusiness", key="rd.onboarding-waste",
      title="Acme CRM onboarding call was a waste of an hour",
      text="""
Booked the "free onboarding session" after signing up. The guy read the help center to me for 45 minutes, couldn't answer a single question about importing from our old system, then spent the last 15 minutes trying to upsell Insights.

I'm two weeks into the trial and already annoyed.
"""),
    P("intent", d="11-23", sub="sales", key="rd.middle-ground",
      title="Salesforce is too much for us, HubSpot too pricey: what's the middle ground?",
      text="""
Team of 9 AEs, selling B2B software to hospitals. Salesforce was quoted at a number our CFO laughed at. HubSpot Sales Hub Pro for 9 seats is also more than we want to spend.

Considering Acme CRM and Pipedrive. Which would you buy for a team our size, and how long did setup take?
"""),
    P("chatter", d="11-23", sub="CRM", key="rd.dup-workaround",
      title="PSA: workaround for the Acme Sync 4.11 duplicate bug until 4.12 ships",
      text="""
Turn off "sync on mobile edit" in Settings > Sync > Devices. Edits on phones then sync when the app is next opened on wifi instead of immediately, and the duplicates stop. Existing duplicates still need merging, but at least it stops growing.

Got this from a support agent who was actually helpful, credit where due.
"""),
    P("complaint", d="11-24", sub="CRM", key="rd.eu-down",
      title="Acme down for anyone else? EU workspace not loading",
      text="""
Nothing loads since about 9:10 CET. Status page still says all systems operational. Our whole support team is sitting there unable to answer customers, and we have no idea when it will be back.

This is the third time this month.
"""),
    P("complaint", d="11-24", sub="smallbusiness", by="c:liam", key="rd.mobile-logout",
      title="The Acme Mobile app logged all my techs out during the outage",
      text="""
Six plumbers in vans, none of them could see their jobs this morning because Acme Mobile logged everyone out and wouldn't let them back in. I was reading addresses to them over the phone from an old printout.

When it came back they had to reset passwords because the app said their accounts were locked. Lost half a day of work.
"""),
    P("chatter", d="11-25", sub="CRM", key="rd.postmortem",
      title="Post-mortem for yesterday's Acme outage is up",
      text="""
Database failover in the EU region took longer than it should have because the standby was behind on replication. They're adding a second standby and changing how the status page is triggered, since it didn't update for 40 minutes.

Pretty candid write-up, for what it's worth.
"""),
    P("chatter", d="11-26", sub="CRM", key="rd.412-fixed",
      title="4.12 fixed my duplicates",
      text="""
Updated this morning, ran the new merge tool over 600 duplicates and it finished in about two minutes. Nothing new duplicated since. Thanks to whoever posted the workaround last week, it kept us going.
"""),
    P("intent", d="11-26", sub="smallbusiness", key="rd.foodbank-discount",
      title="Anyone used Acme CRM's nonprofit discount?",
      text="""
I volunteer for a food bank that needs to track donors, volunteers and partner pantries. Someone suggested Acme CRM because they apparently have a nonprofit plan.

Has anyone applied for it? How much is the discount, and how long did approval take? We'd need about 5 users.
"""),
    P("intent", d="11-27", sub="sales", key="rd.trial-checklist",
      title="Trialling Acme CRM this week: what should I test before committing?",
      text="""
We're a 7-person sales team coming from a spreadsheet and a lot of goodwill. The trial is 14 days. I want to make sure we test the things that bite later: importing, email sync, reporting, permissions.

What would you test first, and what did you wish you'd checked before you paid?
"""),
    P("chatter", d="11-28", sub="smallbusiness", by="c:jamal", key="rd.black-friday",
      title="Black Friday week: how Acme rules kept our inbox sane",
      text="""
Membership sale at our gyms, 3x normal email volume. We set up two Acme Inbox rules the week before: anything mentioning "cancel" goes to me, everything about the sale goes to the front desk team with a canned reply ready.

Zero missed cancellations and the front desk didn't hate me by Sunday. Small win but I'll take it.
"""),
    P("competitor", d="11-29", sub="CRM", key="rd.zoho-vs-acme-nonprofit",
      title="Zoho CRM vs Acme CRM for a nonprofit: what I found",
      text="""
Did the research for our board, sharing the summary. Zoho's nonprofit pricing is lower and it does more out of the box. Acme's interface was much easier for our volunteers, most of whom are over 60, and their support answered in a day.

The board picked Zoho on price. I think they'll regret the training time, but we'll see.
"""),
    P("complaint", d="12-01", sub="CRM", key="rd.price-increase",
      title="Acme price increase for 2027: 26% on Inbox seats",
      text="""
Email this morning: Acme Inbox goes from $19 to $24 per seat from February. For us that's almost $2,000 a year more, for a product that just had three outages in a month and a sync bug that ate contacts.

The timing is insulting. If the reliability had been great I'd grumble and pay. Right now I'm pricing alternatives.
"""),
    P("complaint", d="12-01", sub="smallbusiness", by="c:ben", key="rd.mobile-photos",
      title="Acme raising prices while Mobile still can't attach photos offline",
      text="""
I've asked for this for a year. My roofers take photos on jobs with no signal, and Acme Mobile just fails to attach them and throws the photos away. They have to remember to re-take them.

Now the price goes up. Fix the basics first.
"""),
    P("intent", d="12-01", sub="sales", key="rd.fair-pricing",
      title="Looking for a CRM that doesn't punish small teams on pricing",
      text="""
Four of us, selling consulting retainers. Every CRM seems to have a cheap tier that's missing one thing we need (usually email sync or custom fields) and then a jump to $50+ per seat.

Where's the sweet spot right now? We've looked at Acme CRM and Pipedrive. Happy to pay for annual billing if the discount is real.
"""),
    P("intent", d="12-02", sub="CRM", key="rd.pipedrive-to-acme",
      title="Switching from Pipedrive to Acme CRM: migration experiences?",
      text="""
We've decided to move our 15-person team from Pipedrive to Acme CRM in January, mostly for Acme Inbox. Before I sign, I'd love to hear from anyone who did the same move.

How did you migrate activities and email history? Did Acme's team help, and was there a cost? Anything you wish you'd known before signing?
"""),
    P("chatter", d="12-02", sub="CRM", key="rd.community-day-going",
      title="Acme Community Day Berlin: who's going?",
      text="""
It's on Wednesday at the Kulturbrauerei, with a livestream for the rest of us. Agenda has a roadmap session, a talk on Inbox rules from a customer, and a workshop on the API.

Anyone from here going in person? Would be fun to put faces to usernames.
"""),
    P("complaint", d="12-02", sub="CRM", by="c:chloe", key="rd.insights-empty",
      title="Acme Insights scheduled reports arriving empty since Monday",
      text="""
Our weekly clinic performance report goes to 14 clinic managers every Monday at 7am. This week they all got an empty PDF. Ran it manually and it's fine, so it's the scheduler.

Ticket open since Monday morning, no answer beyond the auto-reply. Managers are asking me why they have no numbers and I have nothing to tell them.
"""),
    P("intent", known="stranger_intent", d="12-02", sub="smallbusiness", key="rd.solo-consultant",
      title="Cheapest decent CRM for a solo consultant?",
      text="""
Just went independent after 10 years in-house. I need to track maybe 50 leads, send proposals, and not forget to follow up. Free tiers seem too limited and I don't need team features.

Is Acme CRM's Starter plan enough for one person, or is there something better for solo people? I'd pay up to $25/month.
"""),
    P("chatter", d="12-02", sub="CRM", key="rd.rate-limits",
      title="Heads-up for integrators: Acme API rate limits are now 100 requests per minute",
      text="""
Changed quietly last week. It used to be 300 per minute per workspace. Responses now carry X-RateLimit-Remaining, and a 429 comes back with Retry-After.

If you run a nightly sync of a big account, check your logs.
"""),
    P("competitor", d="12-03", sub="CRM", key="rd.hubspot-matched",
      title="HubSpot matched Acme's price for us, so we're staying put",
      text="""
Told our HubSpot rep we were about to move to Acme CRM over the renewal price. Two days later they came back with a price within 5% of Acme's quote for a three-year term.

So if you're negotiating with HubSpot, having a real alternative quote in hand works.
"""),
    P("chatter", d="12-03", sub="sales", key="rd.log-calls",
      title="How do you log calls in Acme without the desktop app?",
      text="""
Our company laptops can't install the desktop dialer. Is there a way to log calls from the browser that doesn't involve typing everything by hand? We use Aircall, if that matters.
"""),
    P("chatter", d="12-03", sub="CRM", key="rd.community-day-recap",
      title="Community Day recap: roadmap notes",
      text="""
Watched the stream, here's what I wrote down:

- Field-level merge in Acme Sync 4.13 (beta this month)
- Offline photo attachments in Acme Mobile in Q1
- Insights exports over 10k rows "soon"
- A status page that's tied to monitoring, not updated by hand

The customer talk on Inbox rules from a housing co-op was the best part. Recording should be up next week.
"""),
    P("complaint", d="12-03", sub="CRM", key="rd.auto-close",
      title="Acme support closes tickets automatically after 48 hours?",
      text="""
Third time this month a ticket of mine was closed as "resolved" because I didn't reply within 48 hours. I didn't reply because I was waiting for them. Now I have to open a new ticket and explain everything again to a new agent.

Whoever designed this policy has never been a customer.
"""),
    P("intent", d="12-03", sub="smallbusiness", key="rd.hvac-quote",
      title="Is Acme CRM worth it for a 10-person HVAC company? Quote inside",
      text="""
Got a quote for 10 seats of Acme CRM with Acme Mobile: $3,900 a year on annual billing. We're on paper job sheets right now.

Is that a fair price for what you get? Anyone in trades using it day to day? I'd like to sign before the busy season if it's worth it.
"""),
    P("intent", d="12-03", sub="CRM", key="rd.discount-code",
      title="Any Acme CRM promo codes around? Ready to buy 8 seats",
      text="""
We've finished the trial and the team likes it. Before I put the card in for 8 seats on annual, is there a discount floating around for new customers? Their sales rep offered 10% but I've seen people mention more.
"""),
    P("chatter", d="12-04", sub="CRM", key="rd.413-beta",
      title="Acme Sync 4.13 beta adds field-level merge",
      text="""
Beta opted in this morning. When the same contact changes on two devices, you now get to pick per field instead of per contact. Phone from the laptop, address from the phone, that kind of thing.

Feels like the fix 4.11 should have shipped with, but it's good.
"""),
    P("intent", d="12-04", sub="CRM", key="rd.support-40",
      title="Evaluating CRMs for a 40-seat support org: Acme vs Salesforce Service Cloud",
      text="""
We're replacing a homegrown ticket system next year. Shortlist is Acme CRM (Inbox + Insights) and Salesforce Service Cloud. Salesforce does everything but we'd need a consultant to set it up.

If you run Acme with more than 30 agents, how does it hold up? We'd like to have a decision and a contract before Q2.
"""),
    P("complaint", d="12-04", sub="CRM", by="c:alicia", key="rd.whatsapp-threading",
      title="Acme Inbox stopped threading WhatsApp replies",
      text="""
Since Tuesday every WhatsApp reply from a customer opens a new conversation instead of joining the existing one. My team answers the same customer three times, or not at all.

We sell mostly through WhatsApp, so this is a disaster for a shop our size. Support asked me for screenshots twice and then went quiet.
"""),
    P("competitor", d="12-04", sub="sales", key="rd.leaving-salesforce", intent=True,
      title="Leaving Salesforce after 6 years: the shortlist",
      text="""
We're finally leaving Salesforce. 25 sellers, and we use maybe 20% of what we pay for. The shortlist is HubSpot, Acme CRM and Pipedrive, and we want to pick one by February.

If you made a similar move, what did you miss from Salesforce, and which would you buy again?
"""),
    P("chatter", d="12-04", sub="smallbusiness", key="rd.year-end-export",
      title="Year-end: exporting all our Acme data for the accountant",
      text="""
Our accountant wants every invoice-related note and deal from 2026. Is there a way to export deals with their notes in one go from Acme, or do I have to do it per deal? The standard export seems to skip notes.
"""),
    # Odd and hostile.
    P("complaint", d="12-02", sub="CRM", key="rd.hostile-title", hostile="script and markup in the title",
      title="Acme Sync <b>still</b> eating contacts <script>alert(document.cookie)</script>",
      text="""
Second week in a row we've lost contacts after a sync. Nobody at Acme seems to care. The changelog says fixed, our CRM says otherwise.
"""),
    P("chatter", d="12-03", sub="CRM", key="rd.odd-unicode", hostile="bidi override, zero-width and combining characters",
      title="\u202eMRC emcA\u202c review: ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and Z\u0351\u0359a\u0334\u0317l\u0335\u0353g\u0336\u0348o\u0337\u0339",
      text="""
Testing how Acme's search handles this. Zero\u200bwidth\u200bspaces, a\u00adsoft hyphen, e\u0301 vs \u00e9, and 🧑🏽‍💻👩🏿‍🔧🏳️‍🌈 in one line. Acme CRM found all of it, which is more than our old system did.
"""),
]

# Comments from the communities' comment listing. `parent` is the submission they answer
# (by key); comments that never say "acme" are filtered out by the connector.
COMMENTS = [
    P("chatter", d="11-07", parent="rd.landscaping-crm",
      text="We run a tree service on Acme CRM. The mobile app is good enough in a truck, and quotes go out as PDFs from your phone. Zoho can do more but took us ages to set up."),
    P("chatter", d="11-08", parent="rd.pipedrive-prices",
      text="Same email. We'll probably just pay it, moving 5 years of history is worse than 18%."),
    P("chatter", d="11-09", parent="rd.inbox-rules-foods",
      text="Rule 3 is clever. Stealing it for our Acme Inbox tomorrow."),
    P("chatter", d="11-10", parent="rd.outlook-plugin",
      text="It works in new Outlook as a web add-in since October. You have to install it from the admin center though, not from the store."),
    P("complaint", d="11-11", parent="rd.sync-drops-contacts",
      text="Same here with Acme Sync on Android. Three contacts gone completely, not even in the trash. Support told me to clear the app cache, which did nothing."),
    P("chatter", d="11-12", parent="rd.bakery-crm",
      text="Honestly for 60 accounts a well-structured spreadsheet with a 'last order' column and conditional formatting gets you 80% of the way."),
    P("chatter", d="11-12", parent="rd.bakery-crm",
      text="We're a coffee roaster with about that many wholesale accounts on Acme CRM. The 'no activity in X days' view is exactly what you describe. Two users would be on the Starter plan."),
    P("complaint", d="11-13", parent="rd.duplicates-everywhere",
      text="The merge tool timing out is the worst part. Acme really needs to let you merge in bulk. 400 duplicates here and I'm doing them one by one."),
    P("chatter", d="11-14", parent="rd.hubspot-vs-acme-notes",
      text="Good write-up. Did you test the Acme Insights add-on or just the built-in reports?"),
    P("chatter", d="11-15", parent="rd.billed-twice",
      text="Email billing@ and put 'refund request' in the subject with the invoice number. That got a person at Acme for us within a day."),
    P("chatter", d="11-16", parent="rd.csv-accents",
      text="Good to know, my team gave up on this last year."),
    P("chatter", d="11-17", parent="rd.off-hubspot-12",
      text="12 seats on Acme Business with Inbox is what we run. Inbox seats are included for anyone with a full license, you only pay extra for inbox-only users."),
    P("complaint", d="11-18", parent="rd.webhooks-zapier",
      text="Same with Make.com. Acme changed the payload without a version flag and our invoicing scenario died. Had to rebuild it Saturday morning."),
    P("chatter", d="11-19", parent="rd.insights-reports",
      text="Pipeline velocity by quarter. Took me longer than ten minutes but it's the one my boss actually reads."),
    P("chatter", d="11-20", parent="rd.pipedrive-ai",
      text="Agree on drafting, disagree that either saves 20 minutes. For us it's 5, and we still check everything."),
    P("chatter", d="11-21", parent="rd.property-team-inbox",
      text="Front is great for the inbox part but you'd need a separate system for units and tenants."),
    P("chatter", d="11-22", parent="rd.ai-triage-news",
      text="Their DPA says processing stays in the EU for EU workspaces, and the triage model runs on Acme's own infrastructure. Asked our account manager last week."),
    P("chatter", d="11-22", parent="rd.onboarding-waste",
      text="Ask for the technical onboarding instead of the default one. Different team, they actually know the import tool."),
    P("complaint", d="11-24", parent="rd.eu-down",
      text="Down here too. Acme's status page is a joke, green across the board while nobody in Europe can log in."),
    P("chatter", d="11-24", parent="rd.eu-down",
      text="Back up for us as of 12:20."),
    P("chatter", d="11-26", parent="rd.412-fixed",
      text="Same, 4.12 cleaned everything up. Glad that chapter's over."),
    P("chatter", d="11-27", parent="rd.trial-checklist",
      text="Test the email sync with your oldest, messiest mailbox. And check what happens with permissions when someone leaves the company."),
    P("chatter", d="11-27", parent="rd.trial-checklist",
      text="Import a real export from your old system on day one, not on day 13. With Acme the import is fine, but you'll find your own data problems."),
    P("complaint", d="12-01", parent="rd.price-increase",
      text="26% with three outages in a month. Acme must think we're locked in. We're not."),
    P("chatter", d="12-01", parent="rd.price-increase",
      text="Annual billing before February locks the old price for a year, per their FAQ. Not great, but it buys time."),
    P("chatter", d="12-02", parent="rd.pipedrive-to-acme",
      text="Did exactly this in the summer with 11 users. Acme's migration service moved deals, contacts and activities; email history we re-synced from Gmail. Took two weeks, no cost on the annual plan."),
    P("chatter", d="12-02", parent="rd.community-day-going",
      text="I'll be there! Going mostly for the API workshop. Look for the person in the orange Acme hoodie."),
    P("chatter", d="12-02", parent="rd.solo-consultant",
      text="Acme Starter is fine for one person. I'd skip Insights until you actually have enough data for reports."),
    P("chatter", d="12-03", parent="rd.log-calls",
      text="Aircall has a native Acme integration, calls get logged automatically with the recording. Check the marketplace."),
    P("intent", d="12-03", parent="rd.hvac-quote",
      text="Following. We're a 6 person electrical contractor looking at the same thing. Would love to know if Acme gives a discount for 2-year terms before we buy."),
    P("chatter", d="12-04", parent="rd.413-beta",
      text="Field-level merge is great. Found one bug where custom date fields always take the newer value, reported it to Acme."),
    P("chatter", d="12-04", parent="rd.year-end-export",
      text="The API has a notes endpoint. A 20-line script will get you everything, happy to share mine."),
    P("chatter", d="11-10", parent="rd.sync-411-changelog",
      text="The Google Contacts label mapping is the one I've waited for. Our Acme tags finally match what people see on their phones."),
    P("complaint", d="12-01", parent="rd.price-increase",
      text="We have 14 Inbox seats. Acme's rep told me the increase \"reflects the value of AI triage\", a feature we didn't ask for and can't turn off. Not renewing without a discount."),
    P("chatter", d="12-02", parent="rd.price-increase",
      text="For context, Front and Help Scout both charge more than $24 per seat. Acme is still cheap for what it does, the outages are the real problem."),
    P("chatter", d="12-03", parent="rd.community-day-recap",
      text="Thanks for the notes. The status page change is the one I care about. Acme's old page was useless during the outage."),
    P("chatter", d="12-04", parent="rd.support-40",
      text="About 45 agents on Acme Inbox at a travel company. It holds up fine; the thing to plan for is rules, because with that many people you need an owner for them."),
    P("chatter", d="12-03", parent="rd.auto-close",
      text="You can reply \"still waiting\" and it reopens, but yes, the 48 hour auto-close at Acme is annoying. Our account manager turned it off for us when asked."),
    P("complaint", d="12-04", parent="rd.whatsapp-threading",
      text="Same with Acme Inbox and Instagram DMs since Tuesday. Every reply is a new conversation. We sell handmade jewellery, customers think we're ignoring them."),
    P("chatter", d="12-04", parent="rd.leaving-salesforce",
      text="Did the same move last year, to Acme. Missed: the report builder and a few AppExchange apps. Didn't miss: the bill and the admin we needed just to change a picklist."),
    P("intent", d="12-04", parent="rd.leaving-salesforce",
      text="Also leaving Salesforce (30 seats) and Acme CRM is top of our list. Would love to compare notes on pricing once you get quotes. We want to sign in January."),
    P("chatter", d="12-03", parent="rd.hubspot-matched",
      text="Same experience with Acme's sales team the other way round: a HubSpot quote got us 20% off Acme Business."),
    P("chatter", d="12-03", parent="rd.discount-code",
      text="Acme did 15% for us on annual when we asked at the end of the quarter. Ask your rep for the \"quarter-end\" price."),
    # Comments in the same listing that are about something else.
    P("chatter", d="11-09", parent=None, thread=("t3_1qv0a1z", "What's a fair commission split for a second SDR?", "sales"),
      text="Depends a lot on ramp time. We do 60/40 for the first quarter, then straight quota."),
    P("chatter", d="11-16", parent=None, thread=("t3_1qw7hk2", "How do you handle customers who never pay on time?", "smallbusiness"),
      text="Deposit up front and a late fee in the contract. Stopped the problem for us completely."),
    P("chatter", d="11-25", parent=None, thread=("t3_1qy2m8d", "Is cold calling dead in 2026?", "sales"),
      text="Not dead, just different. Fewer calls, more research before each one."),
    P("chatter", d="12-01", parent=None, thread=("t3_1r0b3c7", "Best way to keep a pipeline review under 30 minutes?", "CRM"),
      text="Only talk about deals that changed stage or slipped. Everything else is in the report."),
    P("chatter", d="12-03", parent=None, thread=("t3_1r1k9qq", "Bookkeeping software recommendations for a small shop", "smallbusiness"),
      text="We switched to a local bookkeeper with her own software and it was the best money we spent this year."),
]
