import { listeningInodes, parseStatTicks, portOf, ProcessCpu } from './proc-cpu';

describe('/proc parsing', () => {
  it('reads utime + stime from a stat line, whatever the command name holds', () => {
    const stat = (comm: string) => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1500 250 0 0 20 0 44 0 100 0 0`;
    expect(parseStatTicks(stat('redis-server'))).toBe(1750);
    expect(parseStatTicks(stat('my (odd) name'))).toBe(1750);
    expect(parseStatTicks('garbage')).toBeNull();
  });

  it('finds the inodes of sockets listening on a port, and only listening ones', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:3FCF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 91234 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:3FCF 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 91299 1 0000000000000000 20 4 30 10 -1',
      '   2: 0100007F:4A9C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77777 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(listeningInodes(table, 16335)).toEqual(['91234']); // 0x3FCF; the established one is not it
    expect(listeningInodes(table, 19100)).toEqual(['77777']);
    expect(listeningInodes(table, 1)).toEqual([]);
  });

  it('takes the port from host:port and from URLs', () => {
    expect(portOf('127.0.0.1:19092')).toBe(19092);
    expect(portOf('redis://127.0.0.1:16379')).toBe(16379);
    expect(portOf('http://127.0.0.1:18086/')).toBe(18086);
    expect(portOf('redis://user:secret@127.0.0.1:6380/0')).toBe(6380);
    expect(portOf('kafka-host')).toBeNull();
    expect(portOf('kafka-host', 9092)).toBe(9092);
    expect(portOf('redis://localhost')).toBe(6379);
    expect(portOf('http://127.0.0.1')).toBe(80);
    expect(portOf('ftp://host')).toBeNull();
    expect(portOf(undefined)).toBeNull();
  });
});

describe('ProcessCpu', () => {
  it('turns ticks over a window into % of a core, and leaves out what it cannot read', () => {
    const ticks = new Map<number, number | null>([
      [1, 1000],
      [2, 50],
      [3, null],
    ]);
    const cpu = new ProcessCpu(
      new Map([
        ['kafka', 1],
        ['redis', 2],
        ['gone', 3],
      ]),
      (pid) => ticks.get(pid) ?? null,
    );
    cpu.start();
    ticks.set(1, 1000 + 300); // 3 s of CPU in 10 s
    ticks.set(2, 50 + 45); // 0.45 s
    ticks.set(3, 10);
    expect(cpu.stop(10_000)).toEqual({ kafka: 30, redis: 4.5 });
    expect(cpu.stop(0)).toEqual({});
  });
});
