# APScheduler 3's AndTrigger over crontab triggers: the first `count` fire times from `from`,
# as ISO instants (argv[1]: {"timezone", "crontabs", "from", "count"}). Each search starts
# afresh from a second after the last fire time: AndTrigger handed a previous fire time loops
# forever in APScheduler 3.9 (its triggers keep answering from that time, not from `now`).
import sys, json
from datetime import datetime, timedelta, timezone
from apscheduler.triggers.combining import AndTrigger
from apscheduler.triggers.cron import CronTrigger
spec = json.loads(sys.argv[1])
trigger = AndTrigger([CronTrigger.from_crontab(e, timezone=spec["timezone"]) for e in spec["crontabs"]])
now = datetime.fromisoformat(spec["from"])
out = []
for _ in range(spec["count"]):
    nxt = trigger.get_next_fire_time(None, now)
    if nxt is None: break
    out.append(nxt.astimezone(timezone.utc).isoformat())
    now = nxt + timedelta(seconds=1)
print(json.dumps(out))
