"""M/M/8 in SimPy 2 (classic API), the comparison point for `npm run bench`.

Same model as scenarios/mmc.yaml: Poisson arrivals at 7.2/s into one 8-server resource with a FIFO
queue and exponential service of mean 1 s. A source generates exactly ARRIVALS customers; the run
ends when the last one has left. Prints one JSON line: arrivals, completed, wall seconds of the
simulation (import and setup excluded), simulated seconds and the mean queue wait (Erlang C: 0.8769 s).

Usage: python3 bench/simpy_mmc.py [ARRIVALS] [SEED]
Needs SimPy 2.x (Debian/Ubuntu: apt-get install python3-simpy); bench/simpy3_mmc.py is the same model
for SimPy 3 and 4.
"""

import json
import random
import sys
import time

from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate

RATE = 7.2  # arrivals per second
SERVERS = 8
MEAN_SERVICE = 1.0  # seconds


class Stats(object):
    def __init__(self):
        self.completed = 0
        self.wait_sum = 0.0


class Customer(Process):
    def visit(self, server, service, stats):
        arrived = now()
        yield request, self, server
        stats.wait_sum += now() - arrived
        yield hold, self, service
        yield release, self, server
        stats.completed += 1


class Source(Process):
    def generate(self, n, server, rng, stats):
        for _ in range(n):
            c = Customer()
            activate(c, c.visit(server, rng.expovariate(1.0 / MEAN_SERVICE), stats))
            yield hold, self, rng.expovariate(RATE)


def main():
    arrivals = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = random.Random(seed)
    stats = Stats()
    initialize()
    server = Resource(capacity=SERVERS, monitored=False)  # FIFO queue (FIFO is the default qType)
    source = Source()
    activate(source, source.generate(arrivals, server, rng, stats))
    started = time.perf_counter()
    simulate(until=1e15)
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "simpy": __import__("SimPy").__version__,
                "arrivals": arrivals,
                "completed": stats.completed,
                "wallSec": wall,
                "simSec": now(),
                "meanWaitSec": stats.wait_sum / max(stats.completed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
