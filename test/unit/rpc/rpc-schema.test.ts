import { describe, expect, it } from 'vitest';
import { RPC_IS_READ, type RpcName } from '../../../src/rpc/rpc-schema.js';
import { serverMethods, type ServerEndpoints } from '../../../src/rpc/server-methods.js';

/** A client agent resends only reads after a transport failure: the table that says which methods read must agree with the server's routing kinds. */
describe('RPC_IS_READ', () => {
  // The handlers are never called here: every endpoint is a stand-in.
  const table = serverMethods(new Proxy({}, { get: () => ({}) }) as ServerEndpoints);

  it('names every method the server registers, and only those', () => {
    expect(Object.keys(RPC_IS_READ).sort()).toEqual(table.names());
  });

  it('marks every write-kind method as not a read, and every read-kind method as a read', () => {
    for (const name of table.names() as RpcName[]) {
      const kind = table.get(name)!.kind;
      if (kind === 'write') expect(RPC_IS_READ[name], name).toBe(false);
      if (kind === 'read') expect(RPC_IS_READ[name], name).toBe(true);
    }
    // Firing an event is answered by any server but is not safe to repeat.
    expect(RPC_IS_READ['Internal.EventFire']).toBe(false);
  });
});
