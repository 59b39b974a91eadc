# The APScheduler reference of `npm run bench:scheduler`: the same pattern as Cronline's firing
# case (N interval jobs due every second from the same first second, misfire grace 60 s, each
# occurrence its own run), measured the same way: fire lag = when the job ran minus its
# scheduled time, over the same window of seconds, missed and duplicate occurrences counted.
# Run by the bench with Debian's /usr/bin/python3 (python3-apscheduler); prints one JSON object.
#
#   /usr/bin/python3 apscheduler-firing.py --tasks 1000 --lead-ms 3000 --seconds 30
#
# The window opens at the first whole second `lead-ms` after the imports: an interval job
# added after its start date never runs the occurrences already past, so a window opening
# before a slow interpreter start would count them as missed.
import argparse
import json
import math
import os
import threading
import time
from datetime import datetime, timezone

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler

parser = argparse.ArgumentParser()
parser.add_argument("--tasks", type=int, required=True)
parser.add_argument("--lead-ms", type=int, default=3_000)
parser.add_argument("--seconds", type=int, required=True)
parser.add_argument("--drain-limit-ms", type=int, default=60_000)
args = parser.parse_args()

first = float(math.ceil(time.time() + args.lead_ms / 1000))
last = first + args.seconds - 1
lock = threading.Lock()
lags_ms = []
fired = set()
duplicates = 0
# The latest occurrence each job has run or missed: the window is over when every job is past it.
latest = [0.0] * args.tasks


def noop():
    pass


def on_event(event):
    global duplicates
    now = time.time()
    scheduled = event.scheduled_run_time.timestamp()
    task = int(event.job_id)
    with lock:
        latest[task] = max(latest[task], scheduled)
        if event.code != EVENT_JOB_EXECUTED or not (first <= scheduled <= last):
            return
        key = (task, scheduled)
        if key in fired:
            duplicates += 1
        fired.add(key)
        lags_ms.append((now - scheduled) * 1000)


scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={"misfire_grace_time": 60, "coalesce": False})
scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
start = datetime.fromtimestamp(first, tz=timezone.utc)
for task in range(args.tasks):
    scheduler.add_job(noop, "interval", seconds=1, start_date=start, id=str(task))
scheduler.start()

time.sleep(max(0.0, last + 1 - time.time()))
limit = time.time() + args.drain_limit_ms / 1000
while time.time() < limit:
    with lock:
        if min(latest) >= last:
            break
    time.sleep(0.1)
scheduler.shutdown(wait=True)

with open("/proc/self/statm") as statm:
    rss_pages = int(statm.read().split()[1])
lags_ms.sort()


def percentile(p):
    return round(lags_ms[min(len(lags_ms) - 1, int(p / 100 * len(lags_ms)))]) if lags_ms else None


print(
    json.dumps(
        {
            "p50": percentile(50),
            "p99": percentile(99),
            "max": round(lags_ms[-1]) if lags_ms else None,
            "missed": args.tasks * args.seconds - len(fired),
            "duplicates": duplicates,
            "rssMiB": round(rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20),
        }
    )
)
