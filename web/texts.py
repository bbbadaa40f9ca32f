"""Words of the situation room: Swedish by default, English with the switch; times in Europe/Stockholm.

The models' labels (information types, source types, tones) take their names from mediebild.labels, the one
table the documents use too.

Web layer: imports the core (labels, timeutil).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mediebild.labels import NAMES
from mediebild.timeutil import local

LANGS = ("sv", "en")

WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "app": "Mediebild – lägesrummet", "room": "lägesrummet",
        "nav_overview": "Läget nu", "nav_stream": "Flödet", "nav_search": "Sök och trender",
        "nav_documents": "Dokument", "nav_sources": "Källor", "nav_profile": "Profil",
        "switch_lang": "English", "logout": "Logga ut", "logged_in_as": "Inloggad som",
        "role_reader": "läsare", "role_editor": "redaktör", "role_admin": "administratör",
        "login_title": "Logga in", "user": "Användarnamn", "password": "Lösenord", "login": "Logga in",
        "login_failed": "Fel användarnamn eller lösenord.",
        "login_limited": "För många misslyckade inloggningar. Försök igen om {minutes} min.",
        "login_no_users": "Det finns inga konton ännu. Skapa ett i terminalen: mediebild users add NAMN --role admin",
        "login_expired": "Formuläret hade gått ut. Försök igen.",
        "login_help": "Lägesrummet visar personuppgifter: logga ut när du lämnar datorn.",
        "as_of": "Läget kl.", "data_stale": "Inga nya poster sedan {when}: sidan visar läget då.",
        "updated": "Uppdaterad", "pass_running": "inhämtning pågår", "live_on": "Uppdateras automatiskt",
        "new_data": "Ny data har kommit.",
        "last_hour": "Senaste timmen", "hour_before": "timmen före", "items": "Poster", "relevant": "Relevanta",
        "kind_editorial": "Redaktionella", "kind_social": "Sociala", "kind_official": "Myndigheter",
        "volume": "Flöde per timme (12 timmar)", "volume_alt": "Antal poster per timme och typ",
        "top_stories": "Största händelserna", "growth": "tillväxt/timme", "new": "NY", "first_seen": "först sedd",
        "outlets": "källor", "copies": "kopior", "items_n": "poster",
        "alerts": "Larm", "alerts_none": "Inga larm de senaste sex timmarna.",
        "alert_count": "{n} poster senaste timmen, normalt {usual}", "relevance": "relevans",
        "multi_hint": "Flera val: håll Ctrl (⌘ på Mac) när du klickar.",
        "vma": "VMA", "rumours": "Rykten att kontrollera", "rumours_none": "Inga rykten flaggade.",
        "why": "Varför", "confirmed": "Bekräftat",
        "official": "Myndigheternas besked (ordagrant)", "official_none": "Inga myndighetsbesked de senaste sex timmarna.",
        "sources_trouble": "Källor som fallerar eller tystnat", "sources_ok": "Alla källor lästes utan fel senaste timmen.",
        "not_fetched": "hämtades inte senaste timmen", "failures": "fel i rad", "no_stories": "Inga händelser ännu (berättelsesteget har inte körts eller inga poster finns).",
        "stream_title": "Flödet", "filters": "Urval", "apply": "Visa", "clear": "Rensa",
        "kind": "Typ", "source": "Källa", "lang": "Språk", "info_type": "Informationstyp", "source_type": "Avsändartyp",
        "tone": "Ton", "min_relevance": "Minsta relevans", "any": "alla",
        "older": "Äldre poster", "newest": "Till de nyaste", "no_items": "Inga poster matchar urvalet.",
        "story": "Berättelse", "no_story": "ingen berättelse", "copy_of": "kopia",
        "story_title": "Berättelse", "timeline": "Tidslinje", "outlets_title": "Källor och kopior",
        "entities": "Namngivna", "places": "Platser", "rumour": "Rykte", "rumour_reasons": "Skäl att kontrollera",
        "triage": "Hantering", "triage_none": "ingen markering", "triage_set": "Spara",
        "triage_note": "Anteckning (syns i dokumenten)", "triage_clear": "ta bort markering",
        "audit": "Logg", "audit_none": "Inga åtgärder ännu.", "who": "Vem", "what": "Vad", "when": "När",
        "before": "Före", "after": "Efter", "note": "Anteckning", "by": "av",
        "reader_cannot": "Du har läsbehörighet: markeringar görs av redaktörer.",
        "state_watched": "bevakas", "state_responded": "bemött", "state_handled": "hanterad",
        "action_triage": "hantering", "action_source_pause": "pausade källan", "action_source_resume": "återupptog källan",
        "action_render_document": "skapade dokument",
        "documents_title": "Dokument", "documents_none": "Inga dokument ännu.",
        "render_now": "Skapa nu", "render_kind": "Dokument", "render_hour": "Timme (lokal tid)",
        "digest": "Sammanställning", "brief": "Lägesbild till konferensen", "period": "Period", "formats": "Format",
        "version": "version", "rendered": "Skapat: {ids}", "render_unavailable": "Att skapa dokument går bara när sidan körs av mediebild web eller serve.",
        "sources_title": "Källor", "status": "Status", "last_success": "Senast lyckad", "last_error": "Senaste fel",
        "items_per_hour": "poster/timme", "paused": "pausad", "pause": "Pausa", "resume": "Återuppta",
        "status_ok": "fungerar", "status_failing": "fallerar", "status_never_fetched": "aldrig hämtad",
        "profile_title": "Incidentprofil", "profile_none": "Ingen profil är satt: mediebild profile set FIL.toml",
        "profile_terms_sv": "Termer (svenska)", "profile_terms_en": "Termer (engelska)", "profile_places": "Platser",
        "profile_orgs": "Organisationer", "profile_exclude": "Undantag", "profile_query": "Sökfråga",
        "profile_start": "Start",
        "search_title": "Sök och trender",
        "tab_search": "Sök", "tab_trends": "Trender", "tab_top": "Topplistor",
        "search_query": "Sökfråga", "search_button": "Sök", "sort": "Ordning", "sort_relevance": "mest relevant först",
        "sort_time": "nyast först",
        "search_help": "AND, OR, NOT (även OCH, ELLER, INTE), \"fraser\", evak* och fälten source:, lang:, kind:, type:, tone:, story:, title:. Orden böjs: evakuera hittar evakuerades.",
        "period_": "från–till nedan", "period_1h": "senaste timmen", "period_6h": "senaste 6 timmarna",
        "period_24h": "senaste dygnet", "period_7d": "senaste 7 dagarna", "since": "Från", "until": "Till (ej med)",
        "period_hint_search": "Perioderna räknas bakåt från slutet av timmen med den nyaste posten. Tomt från och till: hela tiden.",
        "period_hint_trends": "Perioderna räknas bakåt från slutet av timmen med den nyaste posten. Tomt: senaste dygnet (6 timmar per kvart, 14 dagar per dag).",
        "period_hint_top": "Perioderna räknas bakåt från slutet av timmen med den nyaste posten. Tomt: senaste dygnet.",
        "relevant_only": "Bara poster bedömda som relevanta",
        "search_problem": "Det gick inte:", "hits_n": "{n} träffar", "hits_more": "fler än {n} träffar",
        "ranked_within": "rangordnade bland de {n} senaste; smalna av med tid eller filter för att rangordna alla",
        "hits_none": "Inga träffar.", "next_page": "Nästa sida", "first_page": "Första sidan", "original": "originalet",
        "period_shown": "{since} – {until} (Stockholmstid)", "period_everything": "hela tiden",
        "search_empty": "Skriv en sökfråga, till exempel: explosion OR smäll, \"stängd väg\" NOT övning, evak* lang:sv",
        "search_note": "Sidan läser den senast publicerade ögonblicksbilden ({version}); privatpersoner visas med pseudonym för alla roller.",
        "trends_queries": "Sökfrågor (en per rad, eller åtskilda med komma)", "trends_by": "Per", "by_15min": "kvart",
        "by_hour": "timme", "by_day": "dag", "trends_show": "Diagrammet visar", "show_count": "antal poster",
        "show_share": "andel av alla poster", "trends_button": "Visa trender",
        "trends_none": "Skriv en eller flera sökfrågor för att jämföra dem över tid.",
        "trends_chart": "Trender", "trends_chart_alt": "Linjediagram över sökfrågornas poster per {by}; samma siffror står i tabellen nedan.",
        "trends_from": "Från", "trends_all": "Alla poster", "trends_sum": "Summa", "trends_all_line": "alla poster",
        "trends_search": "Sök",
        "top_button": "Visa topplistor", "toplist_sources": "Källor", "toplist_entities": "Namngivna", "toplist_places": "Platser",
        "toplist_organisations": "Organisationer", "toplist_people": "Personer", "toplist_hashtags": "Hashtaggar",
        "toplist_words": "Ord", "toplist_stories": "Berättelser", "top_name": "Namn", "top_count": "Antal", "top_share": "Andel",
        "top_previous": "Före", "top_change": "Förändring", "top_new": "ny", "top_empty": "Inget i perioden.",
        "top_totals": "{total} poster i perioden, {previous} i perioden före.",
        "top_help": "Andel: av alla poster i perioden med samma urval. Förändring: mot lika lång period just före (”ny” när det saknades då). Klicka på ett namn, en hashtagg eller ett ord för att söka efter det.",
        "forbidden": "Det här får din roll inte göra.", "not_found": "Sidan finns inte.",
        "busy": "Databasen är upptagen av en inhämtning. Försök igen om en stund.",
        "error": "Något gick fel", "back": "Tillbaka till Läget nu",
        "csrf_failed": "Formuläret saknade eller hade fel säkerhetsnyckel. Ladda om sidan och försök igen.",
        "privacy_note": "Privatpersoner visas med pseudonym, som i dokumenten.",
        "link": "länk", "updated_item": "uppdaterad", "none": "Inga.", "skip": "Hoppa till innehållet",
        "judgement": "Relevans", "judgement_none": "ej bedömd", "judge_relevant": "Relevant",
        "judge_not_relevant": "Inte relevant", "judged_relevant": "relevant", "judged_not_relevant": "inte relevant",
        "judged_by": "bedömd {verdict} {when} av {who}", "judge_story_help": "Bedömningen gäller berättelsens alla poster och lär relevansmodellen.",
        "reader_cannot_judge": "Du har läsbehörighet: relevans bedöms av redaktörer.",
        "action_judge": "bedömde relevans", "action_send_document": "skickade dokument", "action_source_add": "lade till källan",
        "action_profile_set": "ändrade profilen", "action_user_add": "skapade kontot", "action_user_role": "bytte roll för",
        "action_user_disable": "stängde av kontot", "action_user_password": "satte nytt lösenord för",
        "send_now": "Skicka", "send_to": "Skickas till", "send_unavailable": "Att skicka dokument går bara när sidan körs av mediebild web eller serve.",
        "send_not_configured": "Utskick är inte inställt: lägg till avsnittet [send] i mediebild.toml (mapp, e-post eller webhook) och starta om sidan.",
        "sent": "Skickat {id}: {delivered} levererade, {skipped} redan skickade tidigare, {failed} misslyckades.",
        "hour": "Ange en hel timme.", "problem": "Det gick inte:",
        "source_add": "Lägg till källa", "source_url": "Adress (URL)", "source_monitor": "Typ av källa",
        "source_name": "Namn (valfritt)", "source_query": "Sökfråga (valfri, för API-källor)",
        "source_url_hint": "Flödets adress; API-källor (polisen, krisinformation …) kan lämna den tom.",
        "source_added": "Källan {id} lades till och hämtas vid nästa inhämtning.", "source_exists": "Källan finns redan: {id}. Inget ändrades.",
        "source_problem": "Källan lades inte till:",
        "profile_edit": "Ändra profilen (TOML)", "profile_save": "Spara profilen",
        "profile_saved": "Profilen är sparad och gäller från nästa berikning.",
        "profile_problem": "Profilen sparades inte – den tidigare gäller fortfarande:",
        "profile_too_long": "Profilen är för lång (högst 100 000 tecken).",
        "profile_reader": "Profilen ändras av redaktörer.",
        "suggestions": "Förslag från relevansinlärningen", "suggest_terms": "Ord", "suggest_places": "Platser",
        "suggest_orgs": "Organisationer", "suggest_none": "Inga förslag ännu: berikningen har inte lärt sig något av den här profilen.",
        "suggest_items": "{n} säkra poster", "add": "Lägg till", "term_added": "”{term}” lades till i profilen.",
        "nav_users": "Användare", "users_title": "Användare", "user_add": "Lägg till konto", "user_name": "Användarnamn",
        "role": "Roll", "organisation": "Organisation", "password_new": "Lösenord (minst 10 tecken)",
        "password_again": "Samma lösenord igen", "created": "Skapad", "account_state": "Läge", "disabled": "avstängt",
        "active": "aktivt", "disable": "Stäng av", "change_role": "Byt roll", "reset_password": "Sätt nytt lösenord",
        "users_done": "Ändringen av {name} är sparad.", "user_problem": "Ändringen gjordes inte:",
        "users_help": "Ett avstängt konto kan inte logga in och dess inloggningar avslutas direkt; ett nytt lösenord avslutar också kontots inloggningar.",
        "totals": "{items} poster, {stories} berättelser, {sources} källor",
    },
    "en": {
        "app": "Mediebild – situation room", "room": "situation room",
        "nav_overview": "Now", "nav_stream": "Stream", "nav_search": "Search and trends",
        "nav_documents": "Documents", "nav_sources": "Sources", "nav_profile": "Profile",
        "switch_lang": "Svenska", "logout": "Log out", "logged_in_as": "Logged in as",
        "role_reader": "reader", "role_editor": "editor", "role_admin": "administrator",
        "login_title": "Log in", "user": "User name", "password": "Password", "login": "Log in",
        "login_failed": "Wrong user name or password.",
        "login_limited": "Too many failed logins. Try again in {minutes} min.",
        "login_no_users": "There are no accounts yet. Create one in a terminal: mediebild users add NAME --role admin",
        "login_expired": "The form had expired. Please try again.",
        "login_help": "The situation room shows personal data: log out when you leave the computer.",
        "as_of": "The situation at", "data_stale": "No new items since {when}: the page shows the situation then.",
        "updated": "Updated", "pass_running": "a monitoring pass is running", "live_on": "Updates by itself",
        "new_data": "New data has arrived.",
        "last_hour": "Last hour", "hour_before": "the hour before", "items": "Items", "relevant": "Relevant",
        "kind_editorial": "Editorial", "kind_social": "Social", "kind_official": "Official",
        "volume": "Volume per hour (12 hours)", "volume_alt": "Items per hour and kind",
        "top_stories": "Top stories", "growth": "growth/hour", "new": "NEW", "first_seen": "first seen",
        "outlets": "outlets", "copies": "copies", "items_n": "items",
        "alerts": "Alerts", "alerts_none": "No alerts in the last six hours.",
        "alert_count": "{n} items in the last hour, usually {usual}", "relevance": "relevance",
        "multi_hint": "Several choices: hold Ctrl (⌘ on a Mac) while clicking.",
        "vma": "VMA", "rumours": "Rumours to verify", "rumours_none": "No rumours flagged.",
        "why": "Why", "confirmed": "Confirmed",
        "official": "Official statements (verbatim)", "official_none": "No official statements in the last six hours.",
        "sources_trouble": "Sources failing or silent", "sources_ok": "Every source was read without errors in the last hour.",
        "not_fetched": "not fetched in the last hour", "failures": "failures in a row", "no_stories": "No stories yet (the stories step has not run, or there are no items).",
        "stream_title": "Stream", "filters": "Selection", "apply": "Show", "clear": "Clear",
        "kind": "Kind", "source": "Source", "lang": "Language", "info_type": "Information type", "source_type": "Source type",
        "tone": "Tone", "min_relevance": "Minimum relevance", "any": "any",
        "older": "Older items", "newest": "To the newest", "no_items": "No items match the selection.",
        "story": "Story", "no_story": "no story", "copy_of": "copy",
        "story_title": "Story", "timeline": "Timeline", "outlets_title": "Outlets and copies",
        "entities": "Named", "places": "Places", "rumour": "Rumour", "rumour_reasons": "Reasons to verify",
        "triage": "Triage", "triage_none": "not marked", "triage_set": "Save",
        "triage_note": "Note (shown in the documents)", "triage_clear": "clear the mark",
        "audit": "Log", "audit_none": "No actions yet.", "who": "Who", "what": "What", "when": "When",
        "before": "Before", "after": "After", "note": "Note", "by": "by",
        "reader_cannot": "You have read access: editors mark stories.",
        "state_watched": "watched", "state_responded": "responded", "state_handled": "handled",
        "action_triage": "triage", "action_source_pause": "paused the source", "action_source_resume": "resumed the source",
        "action_render_document": "rendered a document",
        "documents_title": "Documents", "documents_none": "No documents yet.",
        "render_now": "Render now", "render_kind": "Document", "render_hour": "Hour (local time)",
        "digest": "Digest", "brief": "Conference brief", "period": "Period", "formats": "Formats",
        "version": "version", "rendered": "Rendered: {ids}", "render_unavailable": "Documents can be rendered only when the page is run by mediebild web or serve.",
        "sources_title": "Sources", "status": "Status", "last_success": "Last success", "last_error": "Last error",
        "items_per_hour": "items/hour", "paused": "paused", "pause": "Pause", "resume": "Resume",
        "status_ok": "working", "status_failing": "failing", "status_never_fetched": "never fetched",
        "profile_title": "Incident profile", "profile_none": "No profile is set: mediebild profile set FILE.toml",
        "profile_terms_sv": "Terms (Swedish)", "profile_terms_en": "Terms (English)", "profile_places": "Places",
        "profile_orgs": "Organisations", "profile_exclude": "Exclusions", "profile_query": "Query",
        "profile_start": "Start",
        "search_title": "Search and trends",
        "tab_search": "Search", "tab_trends": "Trends", "tab_top": "Top lists",
        "search_query": "Query", "search_button": "Search", "sort": "Order", "sort_relevance": "most relevant first",
        "sort_time": "newest first",
        "search_help": "AND, OR, NOT, \"phrases\", evac* and the fields source:, lang:, kind:, type:, tone:, story:, title:. Words are stemmed: evacuate finds evacuated.",
        "period_": "from–to below", "period_1h": "last hour", "period_6h": "last 6 hours",
        "period_24h": "last day", "period_7d": "last 7 days", "since": "From", "until": "To (not included)",
        "period_hint_search": "Periods count back from the end of the hour of the newest item. Empty from and to: all time.",
        "period_hint_trends": "Periods count back from the end of the hour of the newest item. Empty: the last day (6 hours by 15 min, 14 days by day).",
        "period_hint_top": "Periods count back from the end of the hour of the newest item. Empty: the last day.",
        "relevant_only": "Only items judged relevant",
        "search_problem": "That did not work:", "hits_n": "{n} hits", "hits_more": "more than {n} hits",
        "ranked_within": "ranked among the newest {n}; narrow the period or filters to rank them all",
        "hits_none": "No hits.", "next_page": "Next page", "first_page": "First page", "original": "original",
        "period_shown": "{since} – {until} (Stockholm time)", "period_everything": "all time",
        "search_empty": "Type a query, for example: explosion OR blast, \"road closed\" NOT exercise, evac* lang:en",
        "search_note": "The page reads the newest published snapshot ({version}); private persons are shown by pseudonym to every role.",
        "trends_queries": "Queries (one per line, or separated by commas)", "trends_by": "By", "by_15min": "15 min",
        "by_hour": "hour", "by_day": "day", "trends_show": "The chart shows", "show_count": "number of items",
        "show_share": "share of all items", "trends_button": "Show trends",
        "trends_none": "Type one or more queries to compare them over time.",
        "trends_chart": "Trends", "trends_chart_alt": "Line chart of the queries' items per {by}; the table below has the same figures.",
        "trends_from": "From", "trends_all": "All items", "trends_sum": "Total", "trends_all_line": "all items",
        "trends_search": "Search",
        "top_button": "Show top lists", "toplist_sources": "Sources", "toplist_entities": "Named", "toplist_places": "Places",
        "toplist_organisations": "Organisations", "toplist_people": "People", "toplist_hashtags": "Hashtags",
        "toplist_words": "Words", "toplist_stories": "Stories", "top_name": "Name", "top_count": "Count", "top_share": "Share",
        "top_previous": "Before", "top_change": "Change", "top_new": "new", "top_empty": "Nothing in the period.",
        "top_totals": "{total} items in the period, {previous} in the period before.",
        "top_help": "Share: of all items in the period under the same filters. Change: against the period of the same length just before (\"new\" when absent then). Click a name, hashtag or word to search for it.",
        "forbidden": "Your role may not do this.", "not_found": "There is no such page.",
        "busy": "The database is busy with a monitoring pass. Try again shortly.",
        "error": "Something went wrong", "back": "Back to Now",
        "csrf_failed": "The form's security token was missing or wrong. Reload the page and try again.",
        "privacy_note": "Private persons are shown by pseudonym, as in the documents.",
        "link": "link", "updated_item": "updated", "none": "None.", "skip": "Skip to the content",
        "judgement": "Relevance", "judgement_none": "not judged", "judge_relevant": "Relevant",
        "judge_not_relevant": "Not relevant", "judged_relevant": "relevant", "judged_not_relevant": "not relevant",
        "judged_by": "judged {verdict} {when} by {who}", "judge_story_help": "The judgement covers every item of the story and teaches the relevance model.",
        "reader_cannot_judge": "You have read access: editors judge relevance.",
        "action_judge": "judged relevance", "action_send_document": "sent a document", "action_source_add": "added the source",
        "action_profile_set": "changed the profile", "action_user_add": "created the account", "action_user_role": "changed the role of",
        "action_user_disable": "disabled the account", "action_user_password": "set a new password for",
        "send_now": "Send", "send_to": "Sent to", "send_unavailable": "Documents can be sent only when the page is run by mediebild web or serve.",
        "send_not_configured": "Sending is not set up: add a [send] section to mediebild.toml (folder, e-mail or webhook) and restart the page.",
        "sent": "Sent {id}: {delivered} delivered, {skipped} already sent before, {failed} failed.",
        "hour": "Give a whole hour.", "problem": "That did not work:",
        "source_add": "Add a source", "source_url": "Address (URL)", "source_monitor": "Kind of source",
        "source_name": "Name (optional)", "source_query": "Query (optional, for API sources)",
        "source_url_hint": "The feed's address; API sources (polisen, krisinformation …) may leave it empty.",
        "source_added": "The source {id} was added and is fetched at the next pass.", "source_exists": "The source exists already: {id}. Nothing changed.",
        "source_problem": "The source was not added:",
        "profile_edit": "Edit the profile (TOML)", "profile_save": "Save the profile",
        "profile_saved": "The profile is saved and applies from the next enrichment.",
        "profile_problem": "The profile was not saved – the previous one still applies:",
        "profile_too_long": "The profile is too long (at most 100,000 characters).",
        "profile_reader": "Editors change the profile.",
        "suggestions": "Suggestions from relevance learning", "suggest_terms": "Words", "suggest_places": "Places",
        "suggest_orgs": "Organisations", "suggest_none": "No suggestions yet: enrichment has learned nothing under this profile.",
        "suggest_items": "{n} confident items", "add": "Add", "term_added": "“{term}” was added to the profile.",
        "nav_users": "Users", "users_title": "Users", "user_add": "Add an account", "user_name": "User name",
        "role": "Role", "organisation": "Organisation", "password_new": "Password (at least 10 characters)",
        "password_again": "The same password again", "created": "Created", "account_state": "State", "disabled": "disabled",
        "active": "active", "disable": "Disable", "change_role": "Change role", "reset_password": "Set a new password",
        "users_done": "The change of {name} is saved.", "user_problem": "The change was not made:",
        "users_help": "A disabled account cannot log in and its sessions end at once; a new password ends the account's sessions too.",
        "totals": "{items} items, {stories} stories, {sources} sources",
    },
}

MONTHS = {
    "sv": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def check(lang: str | None) -> str:
    return lang if lang in LANGS else "sv"


def words(lang: str) -> dict[str, str]:
    return WORDS[check(lang)]


def label(key: Any, lang: str) -> str:
    if key is None:
        return ""
    return NAMES["en" if lang == "en" else "sv"].get(str(key), str(key).replace("_", " "))


def clock(value: datetime | None, lang: str = "sv") -> str:
    """10.42 (Swedish) or 10:42 (English), Stockholm time."""
    if value is None:
        return ""
    return local(value).strftime("%H.%M" if lang == "sv" else "%H:%M")


def when(value: datetime | None, lang: str = "sv") -> str:
    """24 mar 10.42, Stockholm time."""
    if value is None:
        return ""
    t = local(value)
    return f"{t.day} {MONTHS[check(lang)][t.month - 1]} {clock(value, lang)}"


def percent(value: float | None, lang: str = "sv", *, signed: bool = False) -> str:
    """12,5 % (Swedish) or 12.5% (English); "+25 %" with `signed`; "" for None."""
    if value is None:
        return ""
    number = f"{value * 100:+.0f}" if signed else f"{value * 100:.1f}"
    if lang == "sv":
        return number.replace(".", ",").replace("-", "−") + " %"
    return number + "%"


def stamp(value: datetime | None) -> str:
    """2026-03-24 10:42:13, Stockholm time (logs, audit)."""
    return "" if value is None else local(value).strftime("%Y-%m-%d %H:%M:%S")
