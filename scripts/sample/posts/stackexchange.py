"""Stack Overflow: questions that the search for "acme" finds. Indented lines are code, as in
Markdown; the generator renders the HTML body Stack Exchange sends with `filter=withbody`."""

from . import P

QUESTIONS = [
    P("chatter", d="11-06", tags=["acme-crm", "python", "oauth-2.0"], title="Acme CRM API returns 401 after refreshing the OAuth token",
      text="""
I'm refreshing the access token with the refresh token before it expires, and the refresh call succeeds, but the next request to the Acme CRM API still gets a 401.

    resp = requests.post(TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": rt})
    token = resp.json()["access_token"]
    requests.get(f"{BASE}/v2/contacts", headers={"Authorization": f"Bearer {token}"})

Is there a delay before the new token becomes valid, or am I missing a header?
"""),
    P("chatter", d="11-07", tags=["acme-crm", "csv"], title="How do I map custom fields when importing contacts into Acme CRM from CSV?",
      text="""
We have three custom fields (Region, Contract Type, Renewal Date) and the Acme import wizard doesn't offer them in the mapping step. The fields exist and are visible on contacts. Do custom fields need a particular API name before the importer picks them up?
"""),
    P("chatter", d="11-07", tags=["acme-crm", "webhooks", "node.js"], title="Verifying Acme webhook signatures in Express",
      text="""
The Acme docs say the signature is an HMAC-SHA256 of the timestamp and the raw body. My computed signature never matches. I suspect body-parser is changing the body before I hash it.

    app.post('/hooks/acme', express.json(), (req, res) => {
      const expected = crypto.createHmac('sha256', SECRET).update(ts + '.' + JSON.stringify(req.body)).digest('hex');
    });

How do I get at the raw body?
"""),
    P("chatter", d="11-08", by="c:sam", tags=["acme-crm", "acme-sync"], title="Acme Sync: which side wins when a contact changes on two devices?",
      text="""
We're building an internal tool on top of Acme Sync and need to know the conflict rule. If a contact's phone changes on a laptop and its address changes on a phone within a minute, which version ends up stored? The docs only say "the latest change".
"""),
    P("chatter", d="11-09", tags=["acme-crm", "rest", "pagination"], title="Acme CRM API: cursor pagination skips records when contacts are updated during the export",
      text="""
I page through /v2/contacts with the `cursor` parameter, sorted by updated_at. When someone edits a contact during my export, some records are skipped and others appear twice. Is there a snapshot or stable sort option?
"""),
    P("chatter", d="11-10", tags=["acme-crm", "c#"], title="Deserialising Acme CRM custom field values in C# when the type varies",
      text="""
Custom field values come back as a string, a number, or an array depending on the field type. System.Text.Json fails on the first array. What's the usual way to model this?
"""),
    P("chatter", d="11-11", tags=["acme-crm", "google-apps-script"], title="Creating Acme CRM deals from a Google Form submission with Apps Script",
      text="""
I want every form submission to create a deal in Acme. UrlFetchApp returns 400 with "amount must be a number" even though I'm sending 1200.

    var payload = {name: e.values[1], amount: e.values[3], stage: "new"};

What am I doing wrong?
"""),
    P("complaint", d="11-12", tags=["acme-crm", "acme-sync", "android"], title="Acme Sync 4.11 creates duplicate contacts when editing on Android",
      text="""
Since updating to Acme Sync 4.11, every contact edited on Android and on the web on the same day is duplicated. We now have hundreds of duplicates and the merge tool times out. This is breaking our whole contact database and support has not given a workaround.

Is there an API call to merge contacts in bulk, or a way to stop the duplication?
"""),
    P("chatter", d="11-13", by="c:carlos", tags=["acme-crm", "php"], title="Acme CRM PHP SDK: how to set a custom field on create?",
      text="""
Using the official PHP SDK. Creating a contact works, but custom fields are ignored:

    $contact = $client->contacts()->create(['name' => 'Joana', 'custom' => ['nif' => '123456789']]);

The contact appears without the field. What's the right key?
"""),
    P("chatter", d="11-14", tags=["acme-crm", "zapier"], title="Zapier trigger for Acme deal stage change fires twice",
      text="""
Our Zap "deal moved to Won" runs twice for most deals, a few seconds apart. Is this Zapier polling, or does Acme send two events?
"""),
    P("chatter", d="11-15", tags=["acme-crm", "sql", "acme-insights"], title="Acme Insights custom SQL: how to get the first response time per ticket?",
      text="""
Insights lets me write SQL against the reporting schema. I need first response time per conversation: the minutes between the first inbound message and the first outbound reply by an agent.

    SELECT conversation_id, MIN(created_at) FROM messages GROUP BY conversation_id;

This gives me the first message, but how do I get the first reply after it?
"""),
    P("chatter", d="11-16", tags=["acme-crm", "python", "rate-limiting"], title="Handling 429 from the Acme CRM API with requests",
      text="""
Our nightly sync hits 429 Too Many Requests on bigger accounts. The response has a Retry-After header. Is there a standard way to honour it with requests, or do I write my own loop?
"""),
    P("chatter", d="11-17", tags=["acme-crm", "webhooks"], title="Acme webhooks v3: where did deal.owner.email go?",
      text="""
After the v3 migration our handler fails because `deal.owner.email` is undefined. The new payload seems to have `deal.owner_id` and a separate `included` block. Is there a way to get the old flat shape back, or do I have to look up the owner myself?
"""),
    P("complaint", known="customer_complaint", d="11-17", by="c:sam", key="se.webhook-retries", tags=["acme-crm", "webhooks"], title="Acme Sync webhook retries stop after three attempts and events are lost",
      text="""
Since Acme CRM moved webhooks to the v3 delivery system, failed deliveries are retried three times and then dropped. Our endpoint was down for 20 minutes and we lost every deal.updated event from that window.

Is there a way to replay missed events, or to raise the retry limit? The docs only mention X-Acme-Retry.

    POST /hooks/acme HTTP/1.1
    X-Acme-Retry: 3
"""),
    P("chatter", d="11-18", tags=["acme-crm", "typescript"], title="Typing the Acme CRM webhook payload union in TypeScript",
      text="""
Events come in as { type, data } where data depends on type. I want a discriminated union so that `data` narrows after checking `type`. Is there a generated types package for Acme, or does everyone write their own?
"""),
    P("complaint", d="11-19", by="c:tariq", tags=["acme-crm", "acme-sync", "outlook"], title="Acme Sync ignores Outlook shared calendars with delegated access",
      text="""
We manage installers' calendars as shared calendars in Outlook with delegated access. Acme Sync 4.11 lists them, but events created there never appear in Acme. Calendars owned by the user sync fine. Is delegated access supported?
"""),
    P("chatter", d="11-19", tags=["acme-crm", "excel", "power-query"], title="Power Query connection to Acme CRM's OData feed times out",
      text="""
Acme Insights exposes an OData feed. Loading the deals table in Power Query works for small workspaces but times out for ours (~80k deals). Can I page or filter the feed on the server side?
"""),
    P("chatter", d="11-20", tags=["acme-crm", "go"], title="Go client for the Acme CRM API: reusing http.Client with OAuth2 token source",
      text="""
I use golang.org/x/oauth2 with a TokenSource for the Acme API. Under load I see many token refreshes. Should the TokenSource be shared across goroutines, and is ReuseTokenSource the right wrapper?
"""),
    # Stage two.
    P("chatter", known="chatter", key="se.window-functions", d="11-21", by="c:isaac", tags=["acme-crm", "acme-insights", "sql"], title="Acme Insights: window functions in custom SQL reports?",
      text="""
Does the Insights SQL dialect support window functions? `ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at)` returns "syntax error near OVER". I'd like the first won deal per account.
"""),
    P("chatter", d="11-21", tags=["acme-crm", "javascript", "cors"], title="Calling the Acme CRM API from the browser: CORS error",
      text="""
I'm building a small internal dashboard and call the Acme API from the browser with a personal token. Every request fails with a CORS error. Does Acme allow browser calls at all, or do I need a backend proxy?
"""),
    P("complaint", d="11-22", tags=["acme-crm", "api"], title="Acme CRM API returns 500 on every bulk update since yesterday",
      text="""
POST /v2/contacts/bulk has returned HTTP 500 for every request since yesterday afternoon, even with a single record. Single updates work. Our nightly import is completely broken and support has not replied to two tickets.

    {"error": {"code": "internal", "message": "An unexpected error occurred"}}

Is anyone else seeing this, or is there a new required field?
"""),
    P("chatter", d="11-22", tags=["acme-crm", "python", "pandas"], title="Flattening Acme CRM deal exports with nested line items in pandas",
      text="""
The deal export has a `line_items` column holding JSON arrays. I need one row per line item with the deal's columns repeated. json_normalize gets close but loses the deal id.
"""),
    P("chatter", d="11-23", tags=["acme-crm", "webhooks"], title="Replaying missed Acme webhook events with the new replay endpoint",
      text="""
Acme added POST /v2/webhooks/replay with a `since` parameter. Does it resend events to every subscribed endpoint or only to the one I name? I don't want to re-trigger our invoicing for events that already went through.
"""),
    P("complaint", d="11-23", by="c:carlos", tags=["acme-crm", "acme-sync", "ios"], title="Acme Sync on iOS: contacts created offline are not uploaded",
      text="""
Contacts created on iPhone while offline stay on the phone and never appear in Acme after reconnecting. Edits made offline do sync. Is there a setting for offline creation, or is it a known issue in 4.11?
"""),
    P("complaint", d="11-24", tags=["acme-crm", "api"], title="Acme CRM API: 503 Service Unavailable for all EU endpoints",
      text="""
Every call to eu.api.acmecrm.example returns 503 since about 08:10 UTC. Our integration queues are backing up and customers are waiting. The Acme status page says everything is operational. Is there an EU-specific outage?
"""),
    P("chatter", d="11-25", tags=["acme-crm", "retry", "python"], title="Idempotent retries for Acme CRM deal creation after a 503",
      text="""
During yesterday's outage some of our create calls timed out but actually succeeded, so the retry made duplicates. Does the Acme API support an Idempotency-Key header for POST requests?
"""),
    P("complaint", d="11-25", by="c:tariq", tags=["acme-crm", "acme-sync", "outlook"], title="Acme Sync 4.12 and delegated Outlook calendars",
      text="""
Follow-up to my earlier question: with 4.12 delegated calendars show events, but recurring events only show the first occurrence. Is that expected?
"""),
    P("chatter", d="11-26", tags=["acme-crm", "acme-sync", "api"], title="Using the Acme Sync batch merge endpoint from a script",
      text="""
4.12 added POST /v2/contacts/merge with up to 1,000 pairs. What happens when a pair's secondary has already been merged into a third contact in the same batch?
"""),
    P("chatter", d="11-26", tags=["acme-crm", "react"], title="Embedding the Acme CRM contact widget in a React app",
      text="""
Acme provides a script tag for the contact widget. In React the widget renders twice in development. Is that StrictMode double-mounting, and how do I clean up the widget on unmount?
"""),
    P("chatter", d="11-27", by="c:isaac", tags=["acme-crm", "acme-insights"], title="Scheduling an Acme Insights report for the first business day of each month",
      text="""
The scheduler offers daily, weekly and monthly on a fixed date. Our finance team wants the first business day. Is there a cron-style option, or an API to trigger a scheduled report?
"""),
    P("chatter", d="11-27", tags=["acme-crm", "ruby"], title="Acme CRM Ruby gem: Faraday::ConnectionFailed on long exports",
      text="""
Exports of more than 20k contacts fail after exactly 60 seconds with Faraday::ConnectionFailed. Smaller exports work. Where do I raise the timeout in the gem's client?
"""),
    P("chatter", d="11-28", tags=["acme-crm", "make.com"], title="Make.com scenario: watch Acme Inbox conversations by tag",
      text="""
I want a Make scenario that starts when an Acme Inbox conversation gets the tag "refund". The Acme module only offers "new conversation". Can I filter on a tag added later?
"""),
    P("chatter", d="11-29", tags=["acme-crm", "api", "search"], title="Acme CRM API search: matching phone numbers in any format",
      text="""
Searching contacts by phone with q=+44 20 7946 0000 finds nothing, but q=02079460000 finds the contact. Does the API normalise numbers, and in which format should I send them?
"""),
    P("complaint", d="11-30", tags=["acme-crm", "acme-insights", "csv"], title="Acme Insights CSV export silently truncated at 10,000 rows",
      text="""
Our export of 14,200 rows stops at exactly 10,000 with no warning and no error. We sent wrong numbers to a client because of this. The limit is not in the documentation.

Is there any way to export everything, or do I need to page through the API myself?
"""),
    P("chatter", d="12-01", tags=["acme-crm", "api", "rate-limiting"], title="Acme CRM API rate limit changed to 100/min: batching strategies",
      text="""
Our workspace went from 300 to 100 requests per minute. A nightly job that updated 15k contacts one by one now takes hours. Which endpoints accept batches, and what is the largest batch size?
"""),
    P("chatter", d="12-01", by="c:sam", tags=["acme-crm", "webhooks"], title="Acme webhooks v3 replay endpoint returns events out of order",
      text="""
Replaying the last 24 hours of events returns them grouped by type rather than by time. Is there an ordering guarantee, or should I sort on `occurred_at` myself?
"""),
    P("chatter", d="12-01", tags=["acme-crm", "oauth-2.0"], title="Acme OAuth app: restricting scopes to read-only contacts",
      text="""
I'm building an app that only reads contacts. The consent screen asks for full access. Which scope string gives read-only access to contacts in Acme CRM?
"""),
    P("complaint", d="12-02", tags=["acme-crm", "acme-inbox", "email"], title="Acme Inbox drops replies with inline images from Outlook",
      text="""
Customer replies sent from Outlook with an inline image (usually a signature logo) never appear in Acme Inbox. They reach our mail server and then disappear. We've lost dozens of customer replies and have no way to see which ones.

Is there a size or MIME type limit we're hitting?
"""),
    P("chatter", d="12-02", tags=["acme-crm", "java", "spring"], title="Spring Boot: validating Acme webhook signatures with a filter",
      text="""
I'm verifying the Acme signature in a OncePerRequestFilter, but reading the body there consumes the stream so the controller gets nothing. What's the idiomatic way to cache the body?
"""),
    P("chatter", d="12-02", tags=["acme-crm", "acme-mobile", "android"], title="Deep linking into Acme Mobile from our Android app",
      text="""
We'd like a button in our field service app that opens a specific contact in Acme Mobile. Is there a documented URI scheme?
"""),
    P("chatter", d="12-02", by="c:tariq", tags=["acme-crm", "api"], title="Acme CRM API: filter deals by custom date field range",
      text="""
Filtering by a custom date field with `filter[install_date][gte]=2026-12-01` returns every deal. Does the filter syntax support custom fields, or only built-in ones?
"""),
    P("chatter", d="12-03", tags=["acme-crm", "openapi", "code-generation"], title="Generating a client from Acme's new OpenAPI spec: enum values missing",
      text="""
The spec Acme published at Community Day generates a client fine, but the deal `stage` enum only lists the default stages, so custom stages fail to deserialise. Should the generator treat it as an open enum?
"""),
    P("chatter", d="12-03", tags=["acme-crm", "python"], title="Acme CRM Python SDK: async support?",
      text="""
Is there an async version of the Acme Python SDK, or should I wrap the sync client with asyncio.to_thread? We're calling it from a FastAPI service.
"""),
    P("chatter", d="12-03", by="c:isaac", tags=["acme-crm", "acme-insights", "sql"], title="Acme Insights: joining deals to the contact's employer at the time of the deal",
      text="""
Contacts keep an employment history. For a report I need the company the contact worked for when the deal was created, not their current one. Which table holds the history in the Insights schema?
"""),
    P("complaint", d="12-03", tags=["acme-crm", "acme-mobile", "ios"], title="Acme Mobile discards photos taken offline",
      text="""
Photos attached to a job while offline vanish after reconnecting. The app shows them as attached and then silently drops them. Our technicians have lost a week of site photos. Is there any cache on the device I can recover them from?
"""),
    P("chatter", d="12-03", tags=["acme-crm", "terraform"], title="Managing Acme CRM custom fields with Terraform",
      text="""
Is there a Terraform provider for Acme CRM, or is anyone managing custom fields and pipelines as code another way? We have three workspaces that keep drifting apart.
"""),
    P("chatter", d="12-04", tags=["acme-crm", "acme-sync", "api"], title="Acme Sync 4.13 field-level merge via the API",
      text="""
The 4.13 beta lets users merge per field in the UI. Is the per-field choice exposed in the merge endpoint, for example with a `prefer` map?
"""),
    P("chatter", d="12-04", tags=["acme-crm", "graphql"], title="Does Acme CRM have a GraphQL API?",
      text="""
Our frontend team prefers GraphQL. Is there an official GraphQL endpoint for Acme CRM, or a recommended way to put one in front of the REST API?
"""),
    P("chatter", d="12-04", tags=["acme-crm", "webhooks", "aws-lambda"], title="Acme webhook to AWS Lambda: responding within the timeout",
      text="""
Acme waits 10 seconds for a webhook response. Our Lambda sometimes takes longer on cold start. Should I acknowledge first and process asynchronously through SQS?
"""),
    P("complaint", d="12-04", tags=["acme-crm", "api", "authentication"], title="Acme API tokens revoked without notice after the security update",
      text="""
All our personal access tokens stopped working this morning with 401 invalid_token. Nothing in the changelog, no email. Every integration we have is down, and we only found out because customers complained.

Were tokens deliberately revoked, and how do we create ones that won't be?
"""),
    P("chatter", d="12-04", tags=["acme-crm", "csv", "encoding"], title="Exporting Acme CRM contacts with UTF-8 BOM for Excel",
      text="""
Excel shows accented names in the Acme export as garbage. Is there an export option for a UTF-8 BOM, or do I have to post-process the file?
"""),
    P("chatter", d="11-29", by="c:carlos", tags=["acme-crm", "php", "webhooks"], title="Acme webhook signature check fails for payloads with accented characters",
      text="""
Signature verification in PHP works except when a contact name contains an accent like "João". Then the HMAC never matches. I suspect an encoding difference between what Acme signs and what I hash.
"""),
    P("chatter", d="11-30", tags=["acme-crm", "api", "webhooks"], title="Acme CRM webhooks v3: subscribing to custom object events",
      text="""
Custom objects were added in the spring. Can webhooks v3 send events for them, and what is the event type name?
"""),
    P("chatter", d="12-02", tags=["acme-crm", "python", "webhooks"], title="Deduplicating Acme webhook events replayed with the replay endpoint",
      text="""
After calling the Acme replay endpoint, some events arrive twice: once from the original delivery and once from the replay. Every event has an `id`. Is it safe to deduplicate on it, or can the same id be reused?
"""),
    P("chatter", d="12-03", tags=["acme-crm", "rest", "dates"], title="Acme CRM API returns dates without a timezone for custom date fields",
      text="""
Built-in timestamps come back as ISO 8601 with `Z`, but custom date fields are plain `2026-12-03`. Should I treat them as dates in the workspace's timezone or as UTC?
"""),
    P("complaint", d="12-04", tags=["acme-crm", "acme-inbox", "api"], title="Acme Inbox API: conversations endpoint times out for large inboxes",
      text="""
GET /v2/inbox/conversations times out after 30 seconds for our shared inbox of about 200,000 conversations, even with a limit of 50. Smaller inboxes are fine. Our support dashboard has been broken for two days and Acme support has not answered.

Is there a filter that makes the query cheaper?
"""),
    P("intent", d="12-02", tags=["crm", "api", "acme-crm"], title="Which CRM APIs support bulk upserts with external ids? (Acme, HubSpot, Pipedrive)",
      text="""
We're choosing a CRM for a new product and the deciding factor is the API. We need bulk upserts keyed on our own ids, webhooks with replay, and decent rate limits. From the docs Acme CRM and HubSpot both seem to qualify. Has anyone used both APIs in production and can say which one we should buy?
"""),
    # Odd and hostile.
    P("chatter", d="12-03", key="se.hostile-body", hostile="iframe, svg onload, javascript: link, markup in the title",
      tags=["acme-crm", "xss"], title="Acme CRM contact notes render <b>HTML</b>: are script tags escaped?",
      text="""
A customer pasted markup into a contact note and I want to know whether the Acme web app escapes it.
""",
      html="<p>A customer pasted markup into a contact note and I want to know whether the Acme web app escapes it.</p><iframe src=\"javascript:alert('frame')\"></iframe><svg onload=\"alert('svg')\"><circle r=\"5\"/></svg><p><a href=\"javascript:alert(1)\">this link</a> and <b onclick=\"alert(2)\">this bold text</b> came with it.</p>"),
]
