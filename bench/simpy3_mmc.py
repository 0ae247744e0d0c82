"""M/M/8 in SimPy 3 or 4 (the Environment API), the comparison point for `npm run bench`.

The same model and output as bench/simpy_mmc.py (which uses SimPy 2's classic API): Poisson
arrivals at 7.2/s into one 8-server resource with a FIFO queue and exponential service of mean
1 s; a source generates exactly ARRIVALS customers and the run ends when the last one has left.
Prints one JSON line: arrivals, completed, wall seconds of the simulation (import and setup
excluded), simulated seconds and the mean queue wait (Erlang C: 0.8769 s).

Usage: python3 bench/simpy3_mmc.py [ARRIVALS] [SEED]
Needs SimPy 3.x or 4.x (Debian/Ubuntu: apt-get install python3-simpy3; or pip install simpy).
"""

import json
import random
import sys
import time

import simpy

RATE = 7.2  # arrivals per second
SERVERS = 8
MEAN_SERVICE = 1.0  # seconds


class Stats(object):
    def __init__(self):
        self.completed = 0
        self.wait_sum = 0.0


def customer(env, server, service, stats):
    arrived = env.now
    with server.request() as req:
        yield req
        stats.wait_sum += env.now - arrived
        yield env.timeout(service)
    stats.completed += 1


def source(env, n, server, rng, stats):
    for _ in range(n):
        env.process(customer(env, server, rng.expovariate(1.0 / MEAN_SERVICE), stats))
        yield env.timeout(rng.expovariate(RATE))


def main():
    arrivals = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    stats = Stats()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=SERVERS)  # FIFO queue
    env.process(source(env, arrivals, server, rng, stats))
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "simpy": simpy.__version__,
                "arrivals": arrivals,
                "completed": stats.completed,
                "wallSec": wall,
                "simSec": env.now,
                "meanWaitSec": stats.wait_sum / max(stats.completed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
