// English and Norwegian bokmål: chosen from the browser's language, switchable, remembered.
// Numbers, money and dates go through Intl so they follow the language (1 234 567 kr in nb, whole kroner).

const STRINGS = {
  en: {
    "level.account": "Account", "seller.keyAccounts": "Your key accounts", "keyAccount.back": "Back to your scorecard",
    "keyAccount.empty": "No sales, activities or targets for this account in this period yet.",
    "app.title": "Sales Scorecard", "nav.scorecard": "My scorecard", "nav.team": "Team", "nav.budget": "Budget control",
    "nav.tokens": "API tokens", "nav.admin": "Data & admin", "signout": "Sign out", "signedInAs": "Signed in as",
    "lang.label": "Language",
    "login.title": "Sign in", "login.email": "E-mail", "login.password": "Password", "login.submit": "Sign in",
    "login.wrong": "Wrong e-mail or password.", "login.noHome": "Your login is not linked to a seller or a unit yet. Ask an administrator.",
    "loading": "Loading…", "error.network": "The server cannot be reached. Check your connection and try again.",
    "error.notFound": "Not found, or not yours to see.", "error.forbidden": "You do not have access to this page.",
    "error.server": "The server had a problem ({status}). Try again, or tell an administrator.",
    "error.invalid": "The server could not use this: {detail}", "error.session": "Your session has ended. Sign in again.",
    "error.tooMany": "Too many failed sign-ins. Try again in {minutes} min.",
    "period": "Period", "range": "Range", "range.month": "Month", "range.quarter": "Quarter", "range.ytd": "Year to date",
    "range.r12": "Last 12 months", "overall": "Overall score", "previous": "previous month {value}",
    "perspectives": "Perspectives", "perspective": "Perspective", "kpis": "KPIs", "kpi": "KPI", "actual": "Actual", "target": "Target",
    "attainment": "Attainment", "status": "Status", "score": "Score", "trend": "Trend", "months": "Months",
    "status.green": "on target", "status.amber": "close", "status.red": "behind", "status.none": "no target",
    "seller.empty": "No sales, activities or targets for this period yet. An administrator loads them on the Data page (sales, activities, targets).",
    "team.title": "Team", "team.ranked": "Ranking", "team.heatmap": "Attainment by KPI", "team.rank": "#",
    "team.name": "Name", "team.empty": "Nothing below {name} yet. An administrator loads districts and sellers on the Data page.",
    "team.drill": "Open", "level.company": "Company", "level.region": "Region", "level.district": "District", "level.seller": "Seller",
    "budget.title": "Budget control", "budget.from": "From", "budget.to": "To", "budget.by": "By",
    "by.district": "District", "by.region": "Region", "by.product": "Product", "by.product_group": "Product group",
    "by.seller": "Seller", "by.district,product": "District and product",
    "budget.variance": "Variance", "budget.monthly": "Budget against actual per month", "budget.waterfall": "From budget to actual",
    "budget.forecast": "Forecast for {year} (actuals through {as_of})", "budget.forecastYear": "Forecast for {year}",
    "budget.noForecast": "No sales loaded for {year} yet, so there is no forecast for it; sales run through {month}.", "budget.download": "Download what is shown:",
    "budget.empty": "No budget and no sales in this range yet. An administrator loads budgets and sales on the Data page.",
    "budget.budget": "Budget", "budget.actual": "Actual", "budget.varianceAmount": "Variance", "budget.variancePct": "Variance %",
    "budget.favorable": "Favourable", "budget.price": "Price", "budget.volume": "Volume", "budget.mix": "Mix",
    "budget.total": "Total", "budget.yes": "✓ yes", "budget.no": "✗ no", "budget.downloaded": "Downloaded {name}.", "budget.downloadForecast": "Download the forecast as {format}",
    "forecast.budget": "Budget", "forecast.actual_to_date": "Actual to date", "forecast.budget_remainder": "Actual + remaining budget",
    "forecast.run_rate": "Run rate", "forecast.seasonal": "Seasonal",
    "fresh.through": "figures through {date}", "fresh.none": "no sales loaded yet", "fresh.import": "last import {when}, {dataset}",
    "fresh.noSales": "No sales loaded for {month} yet; figures run through {date}.",
    "fresh.noSalesAtAll": "No sales loaded yet: the figures of this period are targets only.",
    "fresh.open": "Open {month}", "fresh.budgetPast": "No sales loaded after {month} yet; figures run through {date}.",
    "fresh.budgetOpen": "Show {from} to {to}", "status.notLoaded": "not loaded yet",
    "fresh.activitiesThrough": "activities through {date}",
    "tokens.title": "API tokens", "tokens.intro": "A token lets another system (say your ERP or BI tool) read through the API as you. It only reads.",
    "tokens.name": "What it is for", "tokens.scopes": "May read", "tokens.expires": "Expires after (days, empty = never)",
    "tokens.create": "Create token", "tokens.created": "Copy this token now: it is shown only this once.",
    "tokens.prefix": "Prefix", "tokens.createdAt": "Created", "tokens.lastUsed": "Last used", "tokens.expiresAt": "Expires",
    "tokens.state": "State", "tokens.active": "active", "tokens.revoked": "revoked", "tokens.revoke": "Revoke",
    "tokens.none": "No tokens yet.", "tokens.confirm": "Revoke the token “{name}”? Systems using it stop working at once.",
    "admin.title": "Data & administration", "admin.upload": "Load a file", "admin.dataset": "Dataset", "admin.file": "File (CSV or XLSX)",
    "admin.dryRun": "Check (dry run)", "admin.load": "Load", "admin.ok": "{dataset}: {rows} rows — {inserted} new, {updated} changed, {unchanged} unchanged.",
    "admin.dryOk": "The file is valid: {rows} rows ({inserted} new, {updated} changed, {unchanged} unchanged). Nothing was written yet.",
    "admin.rejected": "The file was rejected and nothing was loaded: {count} problem(s).", "admin.row": "Row", "admin.column": "Column",
    "admin.value": "Value", "admin.message": "Problem", "admin.pickFile": "Choose a file first.",
    "dataset.regions": "Regions", "dataset.districts": "Districts", "dataset.sellers": "Sellers", "dataset.leaders": "Leaders",
    "dataset.accounts": "Accounts", "dataset.products": "Products", "dataset.seasonality": "Seasonality", "dataset.sales": "Sales",
    "dataset.activities": "Activities", "dataset.targets": "Targets", "dataset.kpi_values": "KPI values (manual KPIs)",
    "dataset.budgets": "Budgets",
    "admin.kpis": "KPI weights and thresholds", "admin.weight": "Weight", "admin.green": "Green from", "admin.amber": "Amber from",
    "admin.active": "Shown", "admin.save": "Save", "admin.saved": "Saved.", "admin.perspectives": "Perspective weights",
    "admin.settings": "Scorecard settings", "admin.cap": "Score cap", "admin.fiscal": "Fiscal year starts in month",
    "admin.users": "Users", "admin.email": "E-mail", "admin.password": "Password (at least 8 characters)", "admin.role": "Role",
    "admin.createUser": "Create user", "admin.userCreated": "Created {email}.",
    "admin.audit": "Audit trail", "admin.auditAction": "Show", "admin.auditAll": "All changes", "admin.auditAt": "When",
    "admin.auditActor": "Who", "admin.auditWhat": "Action", "admin.auditEntity": "What", "admin.auditDetails": "Details",
    "admin.auditEmpty": "Nothing recorded yet.", "admin.auditShown": "The latest {count} of {total}.",
    "admin.auditImport": "{file} ({size} bytes, SHA-256 {sha}…): {rows} rows — {inserted} new, {updated} changed, {unchanged} unchanged",
    "audit.import": "Imports", "audit.kpi": "KPIs", "audit.perspective": "Perspective weights", "audit.settings": "Settings",
    "audit.user": "Users", "audit.token": "API tokens",
    "role.admin": "administrator", "role.leader": "leader", "role.seller": "seller", "role.finance": "finance",
    "nav.account": "Account",
    "account.title": "Your account", "account.you": "Your login", "account.password": "Change password",
    "account.intro": "When you change it, your other sessions are signed out; you stay signed in here.",
    "account.current": "Current password", "account.new": "New password", "account.hint": "At least 8 characters.",
    "account.repeat": "Repeat the new password", "account.submit": "Change password",
    "account.mismatch": "The two new passwords are not the same. Type the new password again in both fields.",
    "account.changed": "Your password is changed. Your other sessions have been signed out; you are still signed in here.",
    "users.status": "Status", "users.actions": "Actions", "users.active": "active", "users.off": "switched off", "users.you": "you",
    "users.ownNote": "Your own login cannot be switched off or demoted.", "users.ownLink": "Change your password on the Account page",
    "users.roleOf": "Role of {email}", "users.saveRole": "Save role", "users.roleSaved": "{email} is now {role}.",
    "users.switchOff": "Switch off", "users.switchOn": "Switch on",
    "users.confirmOff": "Switch off {email}? They are signed out everywhere at once and their API tokens are revoked. You can switch the login on again later.",
    "users.keptOn": "Nothing changed: {email} is still active.",
    "users.switchedOff": "{email} is switched off: signed out everywhere, API tokens revoked.",
    "users.switchedOn": "{email} is switched on and can sign in again. API tokens revoked earlier stay revoked.",
    "users.setPassword": "Set password", "users.newPassword": "New password",
    "users.newPasswordFor": "New password for {email} (at least 8 characters)", "users.savePassword": "Save password",
    "users.cancel": "Cancel", "users.passwordSet": "New password set for {email}; their sessions have ended (API tokens keep working).",
    "audit.passwordByUser": "Password changed by the user", "audit.passwordByAdmin": "New password set by an administrator",
    "audit.userCreated": "Created as {role}", "audit.roleChanged": "Role: {from} → {to}", "audit.switchedOff": "switched off",
    "audit.switchedOn": "switched on", "audit.tokenRevoked": "1 API token revoked", "audit.tokensRevoked": "{count} API tokens revoked",
    "admin.summary": "Problems by kind", "admin.count": "Count", "admin.firstRows": "First rows", "admin.allProblems": "Every problem",
    "admin.previous": "Previous", "admin.next": "Next", "admin.problemsShown": "Problems {from}–{to} of {total}",
    "admin.moreKinds": "… and {count} more kinds of problem.", "admin.problemsListed": "{listed} of the {total} problems are listed.",
    "audit.sample": "Rows of this import ({count} shown)", "audit.inserted": "new:",
    "attention.title": "Needs attention", "attention.all": "Show all {count}", "attention.fewer": "Show the first {count} only", "attention.none": "Nothing is red below this unit in {month}.",
    "attention.intro": "{count} red KPIs in {month}, the most costly first.",
    "attention.introClosed": "{count} red KPIs in {month} (a closed month), the most costly first.",
    "attention.onItem": "{kpi}, {unit}", "attention.action1": "1 open action", "attention.actions": "{count} open actions",
    "attention.comment1": "1 comment", "attention.comments": "{count} comments", "attention.needsComment": "Needs a comment",
    "attention.monthsRed": "Red for", "attention.month1": "1 month", "attention.months": "{count} months in a row",
    "attention.area": "Area", "attention.why": "Why this area",
    "area.goals": "Goals", "area.culture": "Culture", "area.sales_meetings": "Sales meetings",
    "area.goal_conversations": "Goal conversations", "area.management": "Management by objectives",
    "area.sales_process": "Sales process", "area.recruiting": "Recruiting",
    "arena.appraisal": "Appraisal", "arena.training": "Training", "arena.practice": "Practice",
    "arena.problem_solving": "Problem solving", "arena.goals": "Goals", "arena.plan": "Plan",
    "comment.text": "Comment", "comment.on": "Comment on {kpi}", "comment.save": "Save comment", "comment.remove": "Remove",
    "comment.confirmRemove": "Remove this comment?", "comment.button": "Comment", "comment.onKpi": "on {kpi}",
    "comment.column": "Comments", "comment.saved": "Comment saved.",
    "kpi.previous": "Previous ({month})", "kpi.count": "{count} KPIs, {red} red",
    "action.open": "Open action", "action.opened": "Action opened: {title}", "action.save": "Save action",
    "action.on": "Open an action on {kpi}", "action.title": "Title", "action.due": "Due", "action.owner": "Owner",
    "action.ownerEmail": "Owner's e-mail", "action.arena": "Arena", "action.outcome": "Outcome",
    "action.effect": "Attainment since the action was opened", "action.baseline": "Baseline", "action.overdue": "Overdue",
    "action.status.open": "Open", "action.status.done": "Done", "action.status.dropped": "Dropped",
    "action.mark.done": "Done", "action.mark.dropped": "Dropped",
    "action.marked.done": "Marked done: {title}", "action.marked.dropped": "Marked dropped: {title}",
    "action.close": "Close {title}", "action.overdueCount": "{count} overdue",
    "note.add": "Add a note", "note.save": "Save note", "note.text": "Note on {title}", "note.saved": "Note added.",
    "actions.open": "Open actions", "actions.noneOpen": "No open actions on this unit or below it.",
    "actions.mine": "My actions", "actions.seller": "Coaching actions", "actions.noneMine": "No actions for you yet.",
    "actions.none": "No actions for this seller yet.",
    "goal.title": "Goal conversations", "goal.recordedBy": "Recorded by {who}", "goal.none": "No goal conversations recorded yet.",
    "goal.saved": "Goal conversation recorded.", "goal.kpiRow": "KPI agreed ({n})", "goal.removeRow": "Remove",
    "goal.addRow": "Add a KPI", "goal.save": "Save goal conversation", "goal.record": "Record goal conversation",
    "goal.date": "Date", "goal.notes": "Notes", "goal.period": "Period (YYYY or YYYY-MM)",
    "pack.title": "Meeting pack",
    "team.own": "This unit's scorecard", "team.tilesHint": "Open a perspective to see its KPIs.", "team.ownKpis": "KPIs of this unit",
    "admin.requireComment": "Require a comment on every red KPI of a closed month",
    // tables that scroll sideways, and the phone's menu (ui.js table(), app.js renderTopbar)
    "table.scrollHint": "Scroll sideways for more columns →", "menu": "Menu",
    // the scorecard pages' table downloads (CSV)
    "download.kpis": "Download KPIs (CSV)", "download.ranking": "Download ranking (CSV)",
    "download.heatmap": "Download attainment by KPI (CSV)",
    // plotly.js loaded on the first chart (charts.js whenPlotly)
    "chart.plotlyFailed": "The charts could not be loaded. Check your connection and reload the page.",
    // the close: locked months, snapshots, restatements and reports by e-mail (pages/close.js)
    "nav.close": "Close & reports",
    "close.title": "Month-end close",
    "close.intro": "Lock a month when its figures are final: an import that would change its sales, activities, targets, budgets or KPI values is refused until the month is unlocked. Locking keeps a snapshot of the month's figures, so you can see later exactly what changed.",
    "close.introLeader": "Finance locks a month when its figures are final. Here you see which months are locked and what changed in your units since, and you choose reports to get by e-mail.",
    "close.months": "Months", "close.month": "Month", "close.state": "State", "close.locked": "Locked", "close.open": "Open",
    "close.lockedBy": "Locked by", "close.lockedAt": "Locked on", "close.snapshots": "Snapshot", "close.actions": "Lock or unlock",
    "close.show": "Show the snapshot", "close.showMany": "Show the snapshots ({count})",
    "close.lock": "Lock", "close.unlock": "Unlock",
    "admin.lockedMonth": "The file would change {month}, a locked month: unlock it on the Close page before loading, or leave its rows out.",
    "admin.lockedMonths": "The file would change the locked months {months}: unlock them on the Close page before loading, or leave their rows out.",
    "admin.openClose": "Open the Close page",
    "close.allMonths": "Show all {count} months", "close.fewerMonths": "Show the latest {count} only",
    "close.noMonths": "No months with figures yet. An administrator loads sales, activities, targets and budgets on the Data page.",
    "close.lockedNow": "{month} is locked and its snapshot taken: imports that would change the month are refused until it is unlocked.",
    "close.unlockedNow": "{month} is unlocked: imports may change it again. Its snapshot stays, and shows what changes.",
    "close.confirmUnlock": "Unlock {month}? Imports may then change its figures again. The snapshot taken at the lock stays and shows what changes.",
    "close.keptLocked": "Nothing changed: {month} is still locked.",
    "close.alreadyLocked": "{month} is locked already (someone may have locked it a moment ago). The list shows it as it is now.",
    "close.notLocked": "{month} is not locked (someone may have unlocked it a moment ago). The list shows it as it is now.",
    "close.cannotLock": "{month} cannot be locked: {detail}", "close.noData": "it has no sales, activities, targets or budgets.",
    "close.snapshotOf": "Snapshot of {month}", "close.noSnapshot": "No snapshot of this month: it has never been locked.",
    "close.pickSnapshot": "Snapshot", "close.snapshotOption": "{when}, by {who}",
    "close.takenAt": "Taken", "close.takenBy": "{when} by {who}", "close.stillLocked": "locked: this is the month's current lock",
    "close.unlockedBy": "unlocked {when} by {who}", "close.contents": "Holds",
    "close.rowsUnits": "{rows} rows of variance by district and product, the scorecards of {units} units",
    "close.totals": "Totals at the lock", "close.download": "Download the snapshot",
    "close.table.variance": "Variance by district and product", "close.table.scorecards": "Scorecards",
    "close.diff": "What changed since the lock",
    "close.unchanged": "Nothing has changed since the lock: the figures are as they were on {day}.",
    "close.changedCount": "Since the lock on {day}, {rows} variance figures and {scores} scorecard figures have changed.",
    "close.district": "District", "close.product": "Product", "close.figure": "Figure", "close.before": "Before (at the lock)",
    "close.after": "After (now)", "close.change": "Change", "close.unit": "Unit",
    "close.scoreChanges": "Scorecard changes", "close.noScoreChanges": "No scorecard figure changed.",
    "close.showAll": "Show all {count} changes", "close.showFewer": "Show the first {count} only",
    "close.field.budget_amount": "Budget", "close.field.actual_amount": "Actual", "close.field.variance_amount": "Variance",
    "close.field.variance_pct": "Variance %", "close.field.favorable": "Favourable", "close.field.budget_quantity": "Budget quantity",
    "close.field.actual_quantity": "Actual quantity", "close.field.price_effect": "Price effect", "close.field.volume_effect": "Volume effect",
    "close.field.mix_effect": "Mix effect", "close.field.budget_margin": "Budget margin", "close.field.actual_margin": "Actual margin",
    "close.field.margin_variance": "Margin variance",
    "lock.badge": "{month} is locked — closed by {who} on {day}.", "lock.badgeItem": "{month} (closed by {who} on {day})",
    "lock.badgeRange": "Locked months in this range: {months}.", "lock.details": "See the close", "lock.option": "{month} — locked",
    "restated.title": "Restated since the lock", "restated.of": "Restated in {month}",
    "restated.month": "{month} was locked on {day} by {who}; {count} of its figures have changed since:",
    "restated.open": "Open the snapshot of {month}", "restated.scoresOnly": "Only scorecard figures changed; the variance is as it was.",
    "subs.title": "Reports by e-mail",
    "subs.intro": "A report goes to its recipients on its schedule and holds what you may see when it is sent. A new subscription goes out on the next run.",
    "subs.none": "No reports by e-mail yet.", "subs.new": "Subscribe to a report",
    "report.variance": "Variance by district and product", "report.scorecard": "A unit's scorecard", "report.meeting_pack": "Meeting pack",
    "report.scorecardOf": "Scorecard of {unit}", "report.packOf": "Meeting pack of {unit}",
    "subs.report": "Report", "subs.params": "What it holds", "subs.level": "Level", "subs.code": "Unit code",
    "subs.codeHint": "A region, district or seller code, say VEST, STV or S148.", "subs.tableLabel": "Table",
    "subs.table.kpis": "KPIs", "subs.table.ranking": "ranking of the units below", "subs.format": "Format",
    "subs.scheduleLabel": "Schedule", "subs.schedule.daily": "Daily", "subs.schedule.weekly": "Weekly (on Mondays)",
    "subs.schedule.monthly": "Monthly, once the month is locked",
    "subs.recipients": "Recipients (e-mail addresses, one a line or separated by commas)", "subs.submit": "Subscribe",
    "subs.created": "Subscribed: {report}. It goes out on the next run.",
    "subs.checkFields": "The subscription was not saved: see the fields marked.",
    "subs.addressProblem": "address {n} ({address}): {msg}", "subs.unitNotYours": "No such unit, or not yours to see.",
    "subs.active": "active", "subs.paused": "paused", "subs.pause": "Pause", "subs.resume": "Resume", "subs.remove": "Remove",
    "subs.pausedMsg": "Paused: {report}. Nothing is sent until you resume it.", "subs.resumedMsg": "Resumed: {report}.",
    "subs.confirmRemove": "Remove the subscription “{report}”? Its send log goes with it.", "subs.removed": "Removed: {report}.",
    "subs.to": "To", "subs.owner": "subscribed by", "subs.lastSent": "last sent {when}", "subs.notSent": "Not sent yet.",
    "subs.log": "Send log ({count})", "subs.logOf": "Send log of {report}", "subs.for": "For", "subs.result": "Result",
    "subs.send.sent": "✓ sent", "subs.send.failed": "✗ failed", "subs.attempts": "Attempts", "subs.lastAttempt": "Last attempt",
    "subs.sentAt": "Sent", "subs.attachment": "Attachment", "subs.error": "Error",
  },
  nb: {
    "level.account": "Kunde", "seller.keyAccounts": "Dine nøkkelkunder", "keyAccount.back": "Tilbake til ditt scorecard",
    "keyAccount.empty": "Ingen salg, aktiviteter eller mål for denne kunden i denne perioden ennå.",
    "app.title": "Salgsscorecard", "nav.scorecard": "Mitt scorecard", "nav.team": "Team", "nav.budget": "Budsjettkontroll",
    "nav.tokens": "API-nøkler", "nav.admin": "Data og admin", "signout": "Logg ut", "signedInAs": "Logget inn som",
    "lang.label": "Språk",
    "login.title": "Logg inn", "login.email": "E-post", "login.password": "Passord", "login.submit": "Logg inn",
    "login.wrong": "Feil e-post eller passord.", "login.noHome": "Brukeren din er ikke knyttet til en selger eller enhet ennå. Spør en administrator.",
    "loading": "Laster …", "error.network": "Får ikke kontakt med serveren. Sjekk forbindelsen og prøv igjen.",
    "error.notFound": "Finnes ikke, eller er ikke ditt å se.", "error.forbidden": "Du har ikke tilgang til denne siden.",
    "error.server": "Serveren fikk et problem ({status}). Prøv igjen, eller si fra til en administrator.",
    "error.invalid": "Serveren kunne ikke bruke dette: {detail}", "error.session": "Økten er utløpt. Logg inn igjen.",
    "error.tooMany": "For mange mislykkede innlogginger. Prøv igjen om {minutes} min.",
    "period": "Periode", "range": "Utvalg", "range.month": "Måned", "range.quarter": "Kvartal", "range.ytd": "Hittil i år",
    "range.r12": "Siste 12 måneder", "overall": "Totalscore", "previous": "forrige måned {value}",
    "perspectives": "Perspektiver", "perspective": "Perspektiv", "kpis": "Nøkkeltall", "kpi": "Nøkkeltall", "actual": "Faktisk", "target": "Mål",
    "attainment": "Måloppnåelse", "status": "Status", "score": "Poeng", "trend": "Utvikling", "months": "Måneder",
    "status.green": "på mål", "status.amber": "nær", "status.red": "bak", "status.none": "uten mål",
    "seller.empty": "Ingen salg, aktiviteter eller mål for denne perioden ennå. En administrator laster dem inn på Data-siden (sales, activities, targets).",
    "team.title": "Team", "team.ranked": "Rangering", "team.heatmap": "Måloppnåelse per nøkkeltall", "team.rank": "#",
    "team.name": "Navn", "team.empty": "Ingenting under {name} ennå. En administrator laster inn distrikter og selgere på Data-siden.",
    "team.drill": "Åpne", "level.company": "Selskap", "level.region": "Region", "level.district": "Distrikt", "level.seller": "Selger",
    "budget.title": "Budsjettkontroll", "budget.from": "Fra", "budget.to": "Til", "budget.by": "Per",
    "by.district": "Distrikt", "by.region": "Region", "by.product": "Produkt", "by.product_group": "Produktgruppe",
    "by.seller": "Selger", "by.district,product": "Distrikt og produkt",
    "budget.variance": "Avvik", "budget.monthly": "Budsjett mot faktisk per måned", "budget.waterfall": "Fra budsjett til faktisk",
    "budget.forecast": "Prognose for {year} (faktiske tall til og med {as_of})", "budget.forecastYear": "Prognose for {year}",
    "budget.noForecast": "Ingen salg er lastet inn for {year} ennå, så det er ingen prognose for året; salget går til og med {month}.", "budget.download": "Last ned det som vises:",
    "budget.empty": "Ingen budsjett og ingen salg i dette utvalget ennå. En administrator laster inn budsjett og salg på Data-siden.",
    "budget.budget": "Budsjett", "budget.actual": "Faktisk", "budget.varianceAmount": "Avvik", "budget.variancePct": "Avvik %",
    "budget.favorable": "Gunstig", "budget.price": "Pris", "budget.volume": "Volum", "budget.mix": "Miks",
    "budget.total": "Sum", "budget.yes": "✓ ja", "budget.no": "✗ nei", "budget.downloaded": "Lastet ned {name}.", "budget.downloadForecast": "Last ned prognosen som {format}",
    "forecast.budget": "Budsjett", "forecast.actual_to_date": "Faktisk hittil", "forecast.budget_remainder": "Faktisk + resterende budsjett",
    "forecast.run_rate": "Løpende takt", "forecast.seasonal": "Sesongjustert",
    "fresh.through": "tall til og med {date}", "fresh.none": "ingen salg lastet inn ennå", "fresh.import": "siste import {when}, {dataset}",
    "fresh.noSales": "Ingen salg er lastet inn for {month} ennå; tallene går til og med {date}.",
    "fresh.noSalesAtAll": "Ingen salg er lastet inn ennå: tallene for denne perioden er bare mål.",
    "fresh.open": "Åpne {month}", "fresh.budgetPast": "Ingen salg er lastet inn etter {month} ennå; tallene går til og med {date}.",
    "fresh.budgetOpen": "Vis {from} til {to}", "status.notLoaded": "ikke lastet inn ennå",
    "fresh.activitiesThrough": "aktiviteter til og med {date}",
    "tokens.title": "API-nøkler", "tokens.intro": "En nøkkel lar et annet system (for eksempel ERP eller BI) lese gjennom API-et som deg. Den kan bare lese.",
    "tokens.name": "Hva den brukes til", "tokens.scopes": "Kan lese", "tokens.expires": "Utløper etter (dager, tomt = aldri)",
    "tokens.create": "Lag nøkkel", "tokens.created": "Kopier nøkkelen nå: den vises bare denne ene gangen.",
    "tokens.prefix": "Prefiks", "tokens.createdAt": "Laget", "tokens.lastUsed": "Sist brukt", "tokens.expiresAt": "Utløper",
    "tokens.state": "Tilstand", "tokens.active": "aktiv", "tokens.revoked": "trukket tilbake", "tokens.revoke": "Trekk tilbake",
    "tokens.none": "Ingen nøkler ennå.", "tokens.confirm": "Trekke tilbake nøkkelen «{name}»? Systemer som bruker den, stopper straks.",
    "admin.title": "Data og administrasjon", "admin.upload": "Last inn en fil", "admin.dataset": "Datasett", "admin.file": "Fil (CSV eller XLSX)",
    "admin.dryRun": "Kontroller (prøvekjøring)", "admin.load": "Last inn", "admin.ok": "{dataset}: {rows} rader — {inserted} nye, {updated} endret, {unchanged} uendret.",
    "admin.dryOk": "Filen er gyldig: {rows} rader ({inserted} nye, {updated} endret, {unchanged} uendret). Ingenting er skrevet ennå.",
    "admin.rejected": "Filen ble avvist og ingenting ble lastet inn: {count} feil.", "admin.row": "Rad", "admin.column": "Kolonne",
    "admin.value": "Verdi", "admin.message": "Feil", "admin.pickFile": "Velg en fil først.",
    "dataset.regions": "Regioner", "dataset.districts": "Distrikter", "dataset.sellers": "Selgere", "dataset.leaders": "Ledere",
    "dataset.accounts": "Kunder", "dataset.products": "Produkter", "dataset.seasonality": "Sesongprofil", "dataset.sales": "Salg",
    "dataset.activities": "Aktiviteter", "dataset.targets": "Mål", "dataset.kpi_values": "Verdier for manuelle nøkkeltall",
    "dataset.budgets": "Budsjetter",
    "admin.kpis": "Vekter og terskler for nøkkeltall", "admin.weight": "Vekt", "admin.green": "Grønn fra", "admin.amber": "Gul fra",
    "admin.active": "Vises", "admin.save": "Lagre", "admin.saved": "Lagret.", "admin.perspectives": "Vekter for perspektiver",
    "admin.settings": "Innstillinger", "admin.cap": "Poengtak", "admin.fiscal": "Regnskapsåret starter i måned",
    "admin.users": "Brukere", "admin.email": "E-post", "admin.password": "Passord (minst 8 tegn)", "admin.role": "Rolle",
    "admin.createUser": "Lag bruker", "admin.userCreated": "Laget {email}.",
    "admin.audit": "Endringslogg", "admin.auditAction": "Vis", "admin.auditAll": "Alle endringer", "admin.auditAt": "Når",
    "admin.auditActor": "Hvem", "admin.auditWhat": "Handling", "admin.auditEntity": "Hva", "admin.auditDetails": "Detaljer",
    "admin.auditEmpty": "Ingenting registrert ennå.", "admin.auditShown": "De siste {count} av {total}.",
    "admin.auditImport": "{file} ({size} byte, SHA-256 {sha}…): {rows} rader — {inserted} nye, {updated} endret, {unchanged} uendret",
    "audit.import": "Innlesinger", "audit.kpi": "Nøkkeltall", "audit.perspective": "Vekter for perspektiver", "audit.settings": "Innstillinger",
    "audit.user": "Brukere", "audit.token": "API-nøkler",
    "role.admin": "administrator", "role.leader": "leder", "role.seller": "selger", "role.finance": "økonomi",
    "nav.account": "Konto",
    "account.title": "Kontoen din", "account.you": "Din innlogging", "account.password": "Bytt passord",
    "account.intro": "Når du bytter det, blir de andre øktene dine logget ut; her forblir du innlogget.",
    "account.current": "Nåværende passord", "account.new": "Nytt passord", "account.hint": "Minst 8 tegn.",
    "account.repeat": "Gjenta det nye passordet", "account.submit": "Bytt passord",
    "account.mismatch": "De to nye passordene er ikke like. Skriv det nye passordet på nytt i begge feltene.",
    "account.changed": "Passordet er byttet. De andre øktene dine er logget ut; her er du fortsatt innlogget.",
    "users.status": "Status", "users.actions": "Handlinger", "users.active": "aktiv", "users.off": "slått av", "users.you": "deg",
    "users.ownNote": "Din egen innlogging kan ikke slås av eller få lavere rolle.", "users.ownLink": "Bytt passordet ditt på Konto-siden",
    "users.roleOf": "Rolle for {email}", "users.saveRole": "Lagre rolle", "users.roleSaved": "{email} er nå {role}.",
    "users.switchOff": "Slå av", "users.switchOn": "Slå på",
    "users.confirmOff": "Slå av {email}? Personen blir logget ut overalt med en gang, og API-nøklene trekkes tilbake. Du kan slå innloggingen på igjen senere.",
    "users.keptOn": "Ingenting endret: {email} er fortsatt aktiv.",
    "users.switchedOff": "{email} er slått av: logget ut overalt, API-nøkler trukket tilbake.",
    "users.switchedOn": "{email} er slått på og kan logge inn igjen. API-nøkler som ble trukket tilbake tidligere, forblir tilbaketrukket.",
    "users.setPassword": "Sett passord", "users.newPassword": "Nytt passord",
    "users.newPasswordFor": "Nytt passord for {email} (minst 8 tegn)", "users.savePassword": "Lagre passord",
    "users.cancel": "Avbryt", "users.passwordSet": "Nytt passord er satt for {email}; øktene er avsluttet (API-nøkler virker fortsatt).",
    "audit.passwordByUser": "Passordet ble byttet av brukeren selv", "audit.passwordByAdmin": "Nytt passord satt av en administrator",
    "audit.userCreated": "Laget som {role}", "audit.roleChanged": "Rolle: {from} → {to}", "audit.switchedOff": "slått av",
    "audit.switchedOn": "slått på", "audit.tokenRevoked": "1 API-nøkkel trukket tilbake", "audit.tokensRevoked": "{count} API-nøkler trukket tilbake",
    "admin.summary": "Feil etter type", "admin.count": "Antall", "admin.firstRows": "Første rader", "admin.allProblems": "Alle feil",
    "admin.previous": "Forrige", "admin.next": "Neste", "admin.problemsShown": "Feil {from}–{to} av {total}",
    "admin.moreKinds": "… og {count} typer feil til.", "admin.problemsListed": "{listed} av de {total} feilene er listet.",
    "audit.sample": "Rader i denne importen ({count} vist)", "audit.inserted": "ny:",
    "attention.title": "Trenger oppfølging", "attention.all": "Vis alle {count}", "attention.fewer": "Vis bare de {count} første", "attention.none": "Ingenting er rødt under denne enheten i {month}.",
    "attention.intro": "{count} røde nøkkeltall i {month}, det som koster mest først.",
    "attention.introClosed": "{count} røde nøkkeltall i {month} (en avsluttet måned), det som koster mest først.",
    "attention.onItem": "{kpi}, {unit}", "attention.action1": "1 åpent tiltak", "attention.actions": "{count} åpne tiltak",
    "attention.comment1": "1 kommentar", "attention.comments": "{count} kommentarer", "attention.needsComment": "Trenger kommentar",
    "attention.monthsRed": "Rød i", "attention.month1": "1 måned", "attention.months": "{count} måneder på rad",
    "attention.area": "Område", "attention.why": "Hvorfor dette området",
    "area.goals": "Mål", "area.culture": "Kultur", "area.sales_meetings": "Salgsmøter",
    "area.goal_conversations": "Målsamtaler", "area.management": "Målstyring",
    "area.sales_process": "Salgsprosess", "area.recruiting": "Rekruttering",
    "arena.appraisal": "Medarbeidersamtale", "arena.training": "Opplæring", "arena.practice": "Trening",
    "arena.problem_solving": "Problemløsning", "arena.goals": "Mål", "arena.plan": "Plan",
    "comment.text": "Kommentar", "comment.on": "Kommentar til {kpi}", "comment.save": "Lagre kommentar", "comment.remove": "Fjern",
    "comment.confirmRemove": "Fjerne kommentaren?", "comment.button": "Kommentar", "comment.onKpi": "til {kpi}",
    "comment.column": "Kommentarer", "comment.saved": "Kommentaren er lagret.",
    "kpi.previous": "Forrige ({month})", "kpi.count": "{count} nøkkeltall, {red} røde",
    "action.open": "Nytt tiltak", "action.opened": "Tiltaket er opprettet: {title}", "action.save": "Lagre tiltak",
    "action.on": "Nytt tiltak for {kpi}", "action.title": "Tittel", "action.due": "Frist", "action.owner": "Ansvarlig",
    "action.ownerEmail": "Ansvarliges e-post", "action.arena": "Arena", "action.outcome": "Resultat",
    "action.effect": "Måloppnåelse siden tiltaket ble opprettet", "action.baseline": "Utgangspunkt", "action.overdue": "Forfalt",
    "action.status.open": "Åpent", "action.status.done": "Fullført", "action.status.dropped": "Droppet",
    "action.mark.done": "Fullført", "action.mark.dropped": "Droppet",
    "action.marked.done": "Markert som fullført: {title}", "action.marked.dropped": "Markert som droppet: {title}",
    "action.close": "Avslutt {title}", "action.overdueCount": "{count} forfalt",
    "note.add": "Skriv et notat", "note.save": "Lagre notat", "note.text": "Notat til {title}", "note.saved": "Notatet er lagt til.",
    "actions.open": "Åpne tiltak", "actions.noneOpen": "Ingen åpne tiltak på denne enheten eller under den.",
    "actions.mine": "Mine tiltak", "actions.seller": "Tiltak", "actions.noneMine": "Ingen tiltak for deg ennå.",
    "actions.none": "Ingen tiltak for denne selgeren ennå.",
    "goal.title": "Målsamtaler", "goal.recordedBy": "Registrert av {who}", "goal.none": "Ingen målsamtaler registrert ennå.",
    "goal.saved": "Målsamtalen er registrert.", "goal.kpiRow": "Avtalt nøkkeltall ({n})", "goal.removeRow": "Fjern",
    "goal.addRow": "Legg til nøkkeltall", "goal.save": "Lagre målsamtale", "goal.record": "Registrer målsamtale",
    "goal.date": "Dato", "goal.notes": "Notater", "goal.period": "Periode (ÅÅÅÅ eller ÅÅÅÅ-MM)",
    "pack.title": "Møtepakke",
    "team.own": "Enhetens målekort", "team.tilesHint": "Åpne et perspektiv for å se nøkkeltallene.", "team.ownKpis": "Enhetens nøkkeltall",
    "admin.requireComment": "Krev en kommentar på hvert rødt nøkkeltall i en avsluttet måned",
    // tables that scroll sideways, and the phone's menu (ui.js table(), app.js renderTopbar)
    "table.scrollHint": "Rull sidelengs for flere kolonner →", "menu": "Meny",
    // the scorecard pages' table downloads (CSV)
    "download.kpis": "Last ned nøkkeltall (CSV)", "download.ranking": "Last ned rangering (CSV)",
    "download.heatmap": "Last ned måloppnåelse per nøkkeltall (CSV)",
    // plotly.js loaded on the first chart (charts.js whenPlotly)
    "chart.plotlyFailed": "Diagrammene kunne ikke lastes. Sjekk forbindelsen og last inn siden på nytt.",
    // the close: locked months, snapshots, restatements and reports by e-mail (pages/close.js)
    "nav.close": "Avslutning og rapporter",
    "close.title": "Månedsavslutning",
    "close.intro": "Lås en måned når tallene er endelige: en innlesing som ville endre månedens salg, aktiviteter, mål, budsjetter eller verdier for nøkkeltall, blir avvist til måneden er låst opp. Låsingen tar vare på et øyeblikksbilde av månedens tall, så du senere kan se nøyaktig hva som er endret.",
    "close.introLeader": "Økonomi låser en måned når tallene er endelige. Her ser du hvilke måneder som er låst og hva som er endret i enhetene dine siden, og du velger rapporter du vil få på e-post.",
    "close.months": "Måneder", "close.month": "Måned", "close.state": "Status", "close.locked": "Låst", "close.open": "Åpen",
    "close.lockedBy": "Låst av", "close.lockedAt": "Låst", "close.snapshots": "Øyeblikksbilde", "close.actions": "Lås eller lås opp",
    "close.show": "Vis øyeblikksbildet", "close.showMany": "Vis øyeblikksbildene ({count})",
    "close.lock": "Lås", "close.unlock": "Lås opp",
    "admin.lockedMonth": "Filen ville endre {month}, som er låst: lås den opp på siden for månedsavslutning før innlesingen, eller ta radene ut av filen.",
    "admin.lockedMonths": "Filen ville endre de låste månedene {months}: lås dem opp på siden for månedsavslutning før innlesingen, eller ta radene ut av filen.",
    "admin.openClose": "Åpne månedsavslutningen",
    "close.allMonths": "Vis alle {count} månedene", "close.fewerMonths": "Vis bare de {count} siste",
    "close.noMonths": "Ingen måneder med tall ennå. En administrator laster inn salg, aktiviteter, mål og budsjetter på Data-siden.",
    "close.lockedNow": "{month} er låst og øyeblikksbildet tatt: innlesinger som ville endre måneden, blir avvist til den låses opp.",
    "close.unlockedNow": "{month} er låst opp: innlesinger kan endre den igjen. Øyeblikksbildet blir liggende og viser hva som endres.",
    "close.confirmUnlock": "Låse opp {month}? Da kan innlesinger endre tallene igjen. Øyeblikksbildet fra låsingen blir liggende og viser hva som endres.",
    "close.keptLocked": "Ingenting endret: {month} er fortsatt låst.",
    "close.alreadyLocked": "{month} er allerede låst (noen kan ha låst den nettopp). Listen viser den slik den er nå.",
    "close.notLocked": "{month} er ikke låst (noen kan ha låst den opp nettopp). Listen viser den slik den er nå.",
    "close.cannotLock": "{month} kan ikke låses: {detail}", "close.noData": "den har ingen salg, aktiviteter, mål eller budsjetter.",
    "close.snapshotOf": "Øyeblikksbilde av {month}", "close.noSnapshot": "Ingen øyeblikksbilder av denne måneden: den har aldri vært låst.",
    "close.pickSnapshot": "Øyeblikksbilde", "close.snapshotOption": "{when}, av {who}",
    "close.takenAt": "Tatt", "close.takenBy": "{when} av {who}", "close.stillLocked": "låst: dette er månedens gjeldende lås",
    "close.unlockedBy": "låst opp {when} av {who}", "close.contents": "Inneholder",
    "close.rowsUnits": "{rows} rader avvik per distrikt og produkt, målekortene til {units} enheter",
    "close.totals": "Summer ved låsingen", "close.download": "Last ned øyeblikksbildet",
    "close.table.variance": "Avvik per distrikt og produkt", "close.table.scorecards": "Målekort",
    "close.diff": "Hva er endret siden låsingen",
    "close.unchanged": "Ingenting er endret siden låsingen: tallene er som de var {day}.",
    "close.changedCount": "Siden låsingen {day} er {rows} avvikstall og {scores} tall i målekortene endret.",
    "close.district": "Distrikt", "close.product": "Produkt", "close.figure": "Tall", "close.before": "Før (ved låsingen)",
    "close.after": "Etter (nå)", "close.change": "Endring", "close.unit": "Enhet",
    "close.scoreChanges": "Endringer i målekortene", "close.noScoreChanges": "Ingen tall i målekortene er endret.",
    "close.showAll": "Vis alle {count} endringene", "close.showFewer": "Vis bare de {count} første",
    "close.field.budget_amount": "Budsjett", "close.field.actual_amount": "Faktisk", "close.field.variance_amount": "Avvik",
    "close.field.variance_pct": "Avvik %", "close.field.favorable": "Gunstig", "close.field.budget_quantity": "Budsjettert antall",
    "close.field.actual_quantity": "Faktisk antall", "close.field.price_effect": "Priseffekt", "close.field.volume_effect": "Volumeffekt",
    "close.field.mix_effect": "Mikseffekt", "close.field.budget_margin": "Budsjettert margin", "close.field.actual_margin": "Faktisk margin",
    "close.field.margin_variance": "Marginavvik",
    "lock.badge": "{month} er låst — avsluttet av {who} {day}.", "lock.badgeItem": "{month} (avsluttet av {who} {day})",
    "lock.badgeRange": "Låste måneder i perioden: {months}.", "lock.details": "Se avslutningen", "lock.option": "{month} — låst",
    "restated.title": "Endret siden låsingen", "restated.of": "Endret i {month}",
    "restated.month": "{month} ble låst {day} av {who}; {count} av tallene er endret siden:",
    "restated.open": "Åpne øyeblikksbildet av {month}", "restated.scoresOnly": "Bare tall i målekortene er endret; avviket er som det var.",
    "subs.title": "Rapporter på e-post",
    "subs.intro": "En rapport går til mottakerne etter tidsplanen og inneholder det du har tilgang til når den sendes. Et nytt abonnement sendes ved neste kjøring.",
    "subs.none": "Ingen rapporter på e-post ennå.", "subs.new": "Abonner på en rapport",
    "report.variance": "Avvik per distrikt og produkt", "report.scorecard": "En enhets målekort", "report.meeting_pack": "Møtepakke",
    "report.scorecardOf": "Målekort for {unit}", "report.packOf": "Møtepakke for {unit}",
    "subs.report": "Rapport", "subs.params": "Innhold", "subs.level": "Nivå", "subs.code": "Enhetskode",
    "subs.codeHint": "En kode for en region, et distrikt eller en selger, for eksempel VEST, STV eller S148.", "subs.tableLabel": "Tabell",
    "subs.table.kpis": "nøkkeltall", "subs.table.ranking": "rangering av enhetene under", "subs.format": "Format",
    "subs.scheduleLabel": "Tidsplan", "subs.schedule.daily": "Daglig", "subs.schedule.weekly": "Ukentlig (mandager)",
    "subs.schedule.monthly": "Månedlig, når måneden er låst",
    "subs.recipients": "Mottakere (e-postadresser, én per linje eller skilt med komma)", "subs.submit": "Abonner",
    "subs.created": "Abonnert: {report}. Den sendes ved neste kjøring.",
    "subs.checkFields": "Abonnementet ble ikke lagret: se feltene som er merket.",
    "subs.addressProblem": "adresse {n} ({address}): {msg}", "subs.unitNotYours": "Enheten finnes ikke, eller du har ikke tilgang til den.",
    "subs.active": "aktiv", "subs.paused": "på pause", "subs.pause": "Sett på pause", "subs.resume": "Fortsett", "subs.remove": "Fjern",
    "subs.pausedMsg": "Satt på pause: {report}. Ingenting sendes før du fortsetter.", "subs.resumedMsg": "Fortsetter: {report}.",
    "subs.confirmRemove": "Fjerne abonnementet «{report}»? Utsendingsloggen forsvinner også.", "subs.removed": "Fjernet: {report}.",
    "subs.to": "Til", "subs.owner": "abonnert av", "subs.lastSent": "sist sendt {when}", "subs.notSent": "Ikke sendt ennå.",
    "subs.log": "Utsendingslogg ({count})", "subs.logOf": "Utsendingslogg for {report}", "subs.for": "For", "subs.result": "Resultat",
    "subs.send.sent": "✓ sendt", "subs.send.failed": "✗ feilet", "subs.attempts": "Forsøk", "subs.lastAttempt": "Siste forsøk",
    "subs.sentAt": "Sendt", "subs.attachment": "Vedlegg", "subs.error": "Feil",
  },
};

const LOCALE = { en: "en-GB", nb: "nb-NO" };
export const CURRENCY = "NOK";

function fromBrowser() {
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  return langs.some((l) => /^(nb|no|nn)\b/i.test(l)) ? "nb" : "en";
}

let current = ["en", "nb"].includes(localStorage.getItem("lang")) ? localStorage.getItem("lang") : fromBrowser();
document.documentElement.lang = current;

export function lang() { return current; }

export function setLang(value) {
  current = value === "nb" ? "nb" : "en";
  localStorage.setItem("lang", current);
  document.documentElement.lang = current;
}

export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

const cache = new Map();
function nf(options) {
  const key = current + JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.NumberFormat(LOCALE[current], options));
  return cache.get(key);
}

const missing = "–";
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

// `x` to 12 significant digits, as Python's float(f"{x:.12g}"): 0.995 * 100 is 99.49999999999999, here 99.5.
const clean = (x) => Number(x.toPrecision(12));
export const DEFAULT_THRESHOLDS = [0.9, 1.0];  // amber, green (a KPI may have its own)

// The percent to show for the ratio `v` and its decimals ({value: 99.5, decimals: 1} for 0.995), so
// that the number stays on the same side of every threshold as the value, and agrees with its status:
// no decimals unless rounding would land on or cross a threshold; then one, rounded, or, where
// rounding still crosses, truncated toward the value's own side (0.9996 → 99.9, never 100.0); a second
// only for thresholds closer than a tenth of a percent. Which thresholds the value reached is decided
// on the value itself (`v >= threshold`), as its status is. The same steps as app/charts/formats.py
// `shown_percent` (tests/test_i18n.py checks both against one table of cases).
export function shownPercent(v, thresholds = DEFAULT_THRESHOLDS) {
  const p = clean(v * 100);
  const cuts = thresholds.filter(isNum);
  const lo = Math.max(-Infinity, ...cuts.filter((x) => v >= x).map((x) => clean(x * 100)));  // the highest reached
  const hi = Math.min(Infinity, ...cuts.filter((x) => v < x).map((x) => clean(x * 100)));    // the lowest not reached
  for (let decimals = 0; decimals <= 4; decimals++) {
    const scale = 10 ** decimals;
    let shown = clean(Math.floor(clean(p * scale) + 0.5) / scale);
    if (decimals) {  // the nearest number of this many decimals on the value's side of the threshold
      if (shown >= hi) shown = clean((Math.ceil(clean(hi * scale)) - 1) / scale);
      else if (shown < lo) shown = clean(Math.ceil(clean(lo * scale)) / scale);
    }
    if (lo <= shown && shown < hi) return { value: shown + 0, decimals };
  }
  return { value: p, decimals: 4 };
}

// The name of a KPI or perspective from an API answer in the page's language.
export const localName = (item) => (current === "nb" && item?.name_nb) || item?.name || "";

export const fmt = {
  // a ratio beside a status, on the status's side of its thresholds ([amber, green]): 0.995 → "99.5%"
  // (amber), never "100%"; a KPI's own thresholds with `fmt.attainment(v, kpi)`
  statusPct: (v, thresholds = DEFAULT_THRESHOLDS) => {
    if (!isNum(v)) return missing;
    const { value, decimals } = shownPercent(v, thresholds);
    return nf({ style: "percent", minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value / 100);
  },
  attainment: (v, kpi) => fmt.statusPct(v, [kpi?.amber_threshold ?? 0.9, kpi?.green_threshold ?? 1.0]),
  // money in whole kroner (en "NOK 1,234,567", nb "1 234 567 kr"), halves away from zero; no "-0" for a
  // few øre below zero. Øre stay in the API and the exports (CSV, XLSX, Parquet), never read from here.
  // (rounded here rather than by signDisplay: "negative", which browsers before 2023 refuse with a RangeError)
  money: (v) => (isNum(v) ? nf({ style: "currency", currency: CURRENCY, minimumFractionDigits: 0, maximumFractionDigits: 0 })
    .format(Math.sign(v) * Math.round(Math.abs(v)) || 0) : missing),
  number: (v, digits = 0) => (isNum(v) ? nf({ minimumFractionDigits: 0, maximumFractionDigits: digits }).format(v) : missing),
  pct: (v, digits = 0) => (isNum(v) ? nf({ style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v) : missing),
  // a KPI value by its unit (currency, ratio, count, hours, score, days)
  kpi: (v, unit) => {
    if (!isNum(v)) return missing;
    if (unit === "currency") return fmt.money(v);
    if (unit === "ratio") return fmt.pct(v, 1);
    if (unit === "count") return fmt.number(v, 0);
    return fmt.number(v, 2);
  },
  month: (period) => {
    if (!period) return missing;
    const [y, m] = period.split("-").map(Number);
    return new Intl.DateTimeFormat(LOCALE[current], { year: "numeric", month: "long" }).format(new Date(y, m - 1, 1));
  },
  dateTime: (iso) => (iso ? new Intl.DateTimeFormat(LOCALE[current], { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : missing),
};

// plotly.js number formatting: decimal point and thousands separator of the language
export function plotlySeparators() { return current === "nb" ? ",\u00a0" : ".,"; }
