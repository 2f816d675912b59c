"""Real components for the tests and the benchmarks, in one place so neither keeps a copy:

    servers    ServerProcess (any server as a child process, stopped by pid) and
               OfficeServer (the office: start, stop, kill -9, restart, office-admin)
    proxy      FaultProxy, a loopback TCP proxy that counts bytes, refuses or cuts
               connections and can shape a slow rural link
    postgres   PostgresCluster, a throwaway PostgreSQL (Debian's binaries included)
    loopback   LoopbackHTTP, an in-process HTTP server on a free port (a party the test plays)
    rogue      RogueOffice and Mitm, the network attacker of the trust tests
    waits      wait_until, a condition polled up to a deadline (never a fixed sleep)

Nothing here is a fake: each helper starts or relays the real thing."""
from core.net import ServerDidNotStart, free_port, wait_http

__all__ = ["ServerDidNotStart", "free_port", "wait_http"]
