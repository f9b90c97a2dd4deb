import type { Command } from 'commander';
import { buildProgram } from '../../cli/main';

/** Every command's help text, as `flowwatch <cmd> --help` prints it (sub-commands too). */
function helpTexts(cmd: Command, prefix = 'flowwatch'): [string, string][] {
  const name = cmd.parent ? `${prefix} ${cmd.name()}` : prefix;
  return [[name, cmd.helpInformation()], ...cmd.commands.flatMap((c) => helpTexts(c, name))];
}

describe('help text', () => {
  const texts = helpTexts(buildProgram());

  it('covers every command', () => {
    expect(texts.map(([n]) => n)).toEqual(
      expect.arrayContaining(['flowwatch run', 'flowwatch simulate', 'flowwatch produce', 'flowwatch bench']),
    );
  });

  it('shows defaults as users write them: durations like 1h, not milliseconds; words, not internal numbers', () => {
    const bad: string[] = [];
    for (const [name, text] of texts) {
      // Duration options (placeholder <d>) must not show a bare number: that is milliseconds.
      for (const m of text.matchAll(/--([\w-]+) <d>[^\n]*(?:\n\s+[^-\s][^\n]*)*\(default: (\d+)\)/g))
        bad.push(`${name} --${m[1]} (default: ${m[2]})`);
    }
    expect(bad).toEqual([]);
    const simulate = texts.find(([n]) => n === 'flowwatch simulate')![1];
    expect(simulate).toMatch(/--duration <d>\s+simulated time span \(default: 1h\)/);
    const bench = texts.find(([n]) => n === 'flowwatch bench')![1];
    expect(bench).toMatch(/zipf:S\s+\(default: uniform\)/);
  });
});
