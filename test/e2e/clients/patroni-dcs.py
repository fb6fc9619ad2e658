"""Drives Patroni's real Consul DCS (Debian's patroni + python3-consul) against a Sextant agent.

Two Patroni members of one cluster go through what Patroni does with Consul: initialize the
cluster, publish members (with their Consul service and HTTP check), race for the leader key
with TTL sessions, watch the leader key with a blocking query, hand leadership over, survive
their session being destroyed, and use CAS for failover and config keys. Prints one
`ok <step>` line per step and exits non-zero on the first that does not hold.

usage: patroni-dcs.py <host:port>
"""
import json
import sys
import threading
import time

import consul
from patroni.dcs.consul import Consul

HOST = sys.argv[1]
SCOPE = 'batman'


def dcs(name):
    return Consul({'scope': SCOPE, 'name': name, 'ttl': 20, 'loop_wait': 10, 'retry_timeout': 10,
                   'host': HOST, 'register_service': True, 'service_check_interval': '5s'})


def member_data(role, port):
    return {'role': role, 'state': 'running', 'api_url': 'http://127.0.0.1:1/patroni',
            'conn_url': 'postgres://127.0.0.1:{0}/postgres'.format(port), 'xlog_location': 100}


def check(step, cond, detail=''):
    if not cond:
        print('FAILED {0} {1}'.format(step, detail), flush=True)
        sys.exit(1)
    print('ok ' + step, flush=True)


host, port = HOST.rsplit(':', 1)
plain = consul.Consul(host=host, port=int(port))
pg1, pg2 = dcs('pg1'), dcs('pg2')

check('initialize once', pg1.initialize(create_new=True, sysid='7311') is True)
check('second initialize refused by cas=0', pg2.initialize(create_new=True, sysid='9999') is False)

pg1.get_cluster(force=True)
check('touch member pg1', pg1.touch_member(member_data('master', 5432)) is True)
pg2.get_cluster(force=True)
check('touch member pg2', pg2.touch_member(member_data('replica', 5433)) is True)

check('pg1 takes the leader lock', pg1.attempt_to_acquire_leader() is True)
check('pg2 cannot take it', pg2.attempt_to_acquire_leader() is False)

cluster = pg2.get_cluster(force=True)
check('cluster view', cluster.initialize == '7311' and cluster.leader and cluster.leader.name == 'pg1'
      and sorted(m.name for m in cluster.members) == ['pg1', 'pg2']
      and cluster.leader.session == pg1._session, repr(cluster))
check('members carry their data', next(m for m in cluster.members if m.name == 'pg2').data['role'] == 'replica')

pg1.get_cluster(force=True)
check('leader refreshes its lock and optime', pg1.update_leader(last_lsn=4096) is True)
check('optime visible', pg2.get_cluster(force=True).last_lsn == 4096)

services = plain.agent.services()
svc = services.get('batman/pg1')
check('service registered for the member', svc is not None and svc['Service'] == 'batman'
      and svc['Port'] == 5432 and 'master' in svc['Tags'] and 'primary' in svc['Tags'], repr(services))
checks = plain.agent.checks()
check('with an HTTP check on its API', any(c['ServiceID'] == 'batman/pg1' for c in checks.values()), repr(checks))

# pg2 watches the leader key (a blocking GET with ?index and wait) while pg1 steps down.
leader_index = pg2.get_cluster(force=True).leader.index
result = {}


def watcher():
    t0 = time.time()
    result['changed'] = pg2.watch(leader_index, 8)
    result['seconds'] = time.time() - t0


t = threading.Thread(target=watcher)
t.start()
time.sleep(1)
pg1.get_cluster(force=True)
check('leader steps down', pg1.delete_leader() is True)
t.join(15)
check('watch wakes on the change', result.get('changed') is True and result['seconds'] < 4, repr(result))
check('pg2 takes over', pg2.attempt_to_acquire_leader() is True)
check('new leader seen', pg1.get_cluster(force=True).leader.name == 'pg2')

# The leader's session is destroyed behind its back (behavior=delete drops its keys); Patroni
# sees Consul's 500 "invalid session" on the next acquire, makes a new session and retries.
old = pg2._session
plain.session.destroy(old)
cluster = pg1.get_cluster(force=True)
check('destroyed session released the leader key', cluster.leader is None, repr(cluster.leader))
check('leader re-acquires with a new session', pg2.attempt_to_acquire_leader() is True and pg2._session != old)

# Failover and config keys use ModifyIndex CAS.
cluster = pg1.get_cluster(force=True)
check('manual failover written', pg1.manual_failover('pg2', 'pg1', index=0) is True)
failover = pg1.get_cluster(force=True).failover
check('failover read back', failover.leader == 'pg2' and failover.candidate == 'pg1')
check('stale cas refused', pg1.manual_failover('pg2', 'pg1', index=1) is False)
check('config with cas', pg1.set_config_value(json.dumps({'ttl': 20}), index=0) is True)
config = pg1.get_cluster(force=True).config
check('config read back', config.data.get('ttl') == 20)
check('config cas with its index', pg1.set_config_value(json.dumps({'ttl': 30}), index=config.index) is True)
check('config cas with an old index refused', pg1.set_config_value(json.dumps({'ttl': 40}), index=config.index) is False)

check('cluster deleted', pg1.delete_cluster() is True)
check('nothing left', plain.kv.get('service/batman', recurse=True)[1] is None)
print('done', flush=True)
