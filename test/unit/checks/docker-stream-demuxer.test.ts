import { describe, expect, it } from 'vitest';
import { DockerStreamDemuxer } from '../../../plugins/check-docker/docker-stream-demuxer.js';
import { parseDockerHost } from '../../../plugins/check-docker/docker-host.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

function collect(chunks: Buffer[]): { frames: [number, string][]; leftover: number } {
  const frames: [number, string][] = [];
  const d = new DockerStreamDemuxer((s, p) => frames.push([s, p.toString()]));
  for (const c of chunks) d.push(c);
  return { frames, leftover: d.end() };
}

describe('DockerStreamDemuxer', () => {
  const stream = Buffer.concat([frame(1, 'hello '), frame(2, 'oops\n'), frame(1, ''), frame(1, 'world')]);
  const expected: [number, string][] = [
    [1, 'hello '],
    [2, 'oops\n'],
    [1, ''],
    [1, 'world'],
  ];

  it('splits frames at every possible chunk boundary', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(collect([stream.subarray(0, i), stream.subarray(i)])).toEqual({ frames: expected, leftover: 0 });
    }
    expect(collect([...stream].map((b) => Buffer.from([b])))).toEqual({ frames: expected, leftover: 0 });
  });

  it('reports an incomplete trailing frame', () => {
    expect(collect([stream.subarray(0, stream.length - 2)]).leftover).toBe(11);
  });

  it('treats a stream without frame headers as raw (TTY) output', () => {
    expect(collect([Buffer.from('plain text output'), Buffer.from(' more')]).frames).toEqual([
      [1, 'plain text output'],
      [1, ' more'],
    ]);
    expect(collect([Buffer.from('tiny')]).frames).toEqual([[1, 'tiny']]);
  });
});

describe('parseDockerHost', () => {
  it('parses unix and tcp hosts and defaults to /var/run/docker.sock', () => {
    expect(parseDockerHost(undefined)).toEqual({ network: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseDockerHost('')).toEqual({ network: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseDockerHost('unix:///tmp/d.sock')).toEqual({ network: 'unix', socketPath: '/tmp/d.sock' });
    expect(parseDockerHost('tcp://10.0.0.5:2375')).toEqual({ network: 'tcp', host: '10.0.0.5', port: 2375 });
    expect(parseDockerHost('tcp://[::1]:2375')).toEqual({ network: 'tcp', host: '::1', port: 2375 });
  });

  it('refuses anything else with Consul text', () => {
    expect(() => parseDockerHost('/var/run/docker.sock')).toThrow('invalid docker host: /var/run/docker.sock');
    expect(() => parseDockerHost('ssh://host')).toThrow('invalid docker host: ssh://host');
  });
});
