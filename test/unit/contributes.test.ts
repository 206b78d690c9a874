import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApplicationScopedSettings,
  AuthProvider,
  CommandTitles,
  Commands,
  ContextKeys,
  EXTENSION_ID,
  PaletteHidden,
  SettingDefaults,
  Settings,
  ThemeColors,
  ViewContainers,
  Views,
  WebviewPanels,
} from '../../src/vscode/ids';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
const contributes = pkg.contributes;
const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Every `codecraft.*` identifier mentioned in a when clause. */
function whenIdentifiers(when: string): string[] {
  return when.match(/codecraft\.[A-Za-z.]+/g) ?? [];
}

describe('package.json contributes match src/vscode/ids.ts', () => {
  it('extension id is publisher.name', () => {
    assert.equal(`${pkg.publisher}.${pkg.name}`, EXTENSION_ID);
  });

  it('contributes exactly the named commands, each titled and in category CodeCraft', () => {
    const cmds: { command: string; title: string; category: string }[] = contributes.commands;
    assert.deepEqual(sorted(cmds.map((c) => c.command)), sorted(Object.values(Commands)));
    for (const c of cmds) {
      assert.equal(c.category, 'CodeCraft', c.command);
      assert.equal(c.title, CommandTitles[c.command as keyof typeof CommandTitles], c.command);
    }
    assert.equal(CommandTitles[Commands.syncNow], 'Sync Now');
  });

  it('hides from the palette exactly the commands that need a tree item', () => {
    const hidden = (contributes.menus.commandPalette as { command: string; when: string }[])
      .filter((m) => m.when === 'false')
      .map((m) => m.command);
    assert.deepEqual(sorted(hidden), sorted(PaletteHidden));
  });

  it("offers Open Chat in the palette and on every project row of the Projects view", () => {
    const palette = contributes.menus.commandPalette as { command: string }[];
    assert.ok(!palette.some((m) => m.command === Commands.openChat), 'Open Chat stays in the palette (it asks for the project)');
    const rows = (contributes.menus['view/item/context'] as { command: string; when: string; group: string }[]).filter((m) => m.command === Commands.openChat);
    assert.ok(rows.length >= 1);
    for (const m of rows) assert.equal(m.when, 'view == codecraft.projects && viewItem =~ /^project/');
  });

  it('has the CodeCraft activity-bar container with the Projects and Files views', () => {
    const containers = contributes.viewsContainers.activitybar as { id: string; title: string; icon: string }[];
    assert.deepEqual(containers.map((c) => c.id), [ViewContainers.main]);
    assert.equal(containers[0]!.title, 'CodeCraft');
    const views = contributes.views[ViewContainers.main] as { id: string; name: string }[];
    assert.deepEqual(views.map((v) => [v.id, v.name]), [
      [Views.projects, 'Projects'],
      [Views.files, 'Files'],
    ]);
  });

  it('contributes exactly the named settings with matching defaults', () => {
    const props = contributes.configuration.properties as Record<string, { default: unknown; scope?: string }>;
    assert.deepEqual(sorted(Object.keys(props)), sorted(Object.values(Settings)));
    for (const [id, def] of Object.entries(SettingDefaults)) assert.equal(props[id]!.default, def, id);
  });

  it('keeps connection settings out of reach of workspace settings', () => {
    const props = contributes.configuration.properties as Record<string, { scope?: string }>;
    for (const id of [Settings.endpoint, Settings.projectId, Settings.databaseId]) {
      assert.ok(ApplicationScopedSettings.includes(id));
      assert.equal(props[id]!.scope, 'application', id);
    }
  });

  it('uses only named context keys, views and commands in when clauses', () => {
    const known = new Set<string>([...Object.values(ContextKeys), ...Object.values(Views), ...Object.values(Commands)]);
    const clauses: string[] = [];
    for (const w of contributes.viewsWelcome) clauses.push(w.when);
    for (const list of Object.values(contributes.menus) as { when?: string }[][]) {
      for (const m of list) if (m.when) clauses.push(m.when);
    }
    for (const when of clauses) {
      for (const id of whenIdentifiers(when)) assert.ok(known.has(id), `unknown identifier ${id} in "${when}"`);
    }
  });

  it('menus and welcome links only name contributed commands', () => {
    const commands = new Set<string>(Object.values(Commands));
    for (const list of Object.values(contributes.menus) as { command: string }[][]) {
      for (const m of list) assert.ok(commands.has(m.command), m.command);
    }
    for (const w of contributes.viewsWelcome as { contents: string }[]) {
      for (const link of w.contents.match(/command:[\w.]+/g) ?? []) {
        assert.ok(commands.has(link.slice('command:'.length)), link);
      }
    }
  });

  it('has welcome content for signed out, loading, empty and offline', () => {
    const whens = (contributes.viewsWelcome as { view: string; when: string }[])
      .filter((w) => w.view === Views.projects)
      .map((w) => w.when);
    for (const key of [ContextKeys.signedIn, ContextKeys.loading, ContextKeys.hasProjects, ContextKeys.offline]) {
      assert.ok(whens.some((w) => w.includes(key)), `no welcome state uses ${key}`);
    }
  });

  it('contributes the CodeCraft authentication provider (the Accounts menu) and activates on its requests', () => {
    assert.deepEqual(contributes.authentication, [{ id: AuthProvider.id, label: AuthProvider.label }]);
    assert.ok(pkg.activationEvents.includes(`onAuthenticationRequest:${AuthProvider.id}`));
  });

  it('offers Copy Slug on project rows and Copy Path on file and folder rows, and Sign In on the signed-out welcome', () => {
    const context = contributes.menus['view/item/context'] as { command: string; when: string }[];
    const where = (command: string) => context.find((m) => m.command === command)?.when ?? '';
    assert.ok(where(Commands.copySlug).includes(`view == ${Views.projects}`) && where(Commands.copySlug).includes('viewItem =~ /^project/'), where(Commands.copySlug));
    assert.ok(where(Commands.copyPath).includes(`view == ${Views.files}`) && where(Commands.copyPath).includes('file|folder'), where(Commands.copyPath));
    const signedOut = (contributes.viewsWelcome as { view: string; when: string; contents: string }[]).find(
      (w) => w.view === Views.projects && w.when.includes(`!${ContextKeys.signedIn}`),
    );
    assert.ok(signedOut?.contents.includes(`(command:${Commands.signIn})`), 'the signed-out welcome has a Sign In button');
  });

  it('contributes the theme colours of the sync decorations, each with defaults for every theme kind', () => {
    const colors = contributes.colors as { id: string; description: string; defaults: Record<string, string> }[];
    assert.deepEqual(sorted(colors.map((c) => c.id)), sorted(Object.values(ThemeColors)));
    for (const c of colors) {
      assert.ok(c.description.length > 20, c.id);
      assert.deepEqual(sorted(Object.keys(c.defaults)), ['dark', 'highContrast', 'highContrastLight', 'light'], c.id);
    }
  });

  it('offers each way to resolve a file only where it applies: Files view rows by state, editors, tabs, the Explorer and the palette by the state keys', () => {
    const resolve: [string, string, string][] = [
      [Commands.mergeConflict, 'conflict', ContextKeys.conflictFiles],
      [Commands.keepMine, 'conflict', ContextKeys.conflictFiles],
      [Commands.takeTheirs, 'conflict', ContextKeys.conflictFiles],
      [Commands.restoreFile, 'deleted', ContextKeys.deletedFiles],
      [Commands.retryChange, 'failed', ContextKeys.failedFiles],
      [Commands.keepBoth, 'duplicate', ContextKeys.duplicateFiles],
      [Commands.keepThisOne, 'duplicate', ContextKeys.duplicateFiles],
      [Commands.compareWithOther, 'duplicate', ContextKeys.duplicateFiles],
    ];
    const menus = contributes.menus as Record<string, { command: string; when: string; group?: string }[]>;
    for (const [command, state, key] of resolve) {
      const row = menus['view/item/context']!.find((m) => m.command === command && !m.group?.startsWith('inline'));
      assert.equal(row?.when, `view == ${Views.files} && viewItem == file.${state}`, command);
      for (const menu of ['editor/title', 'editor/title/context', 'explorer/context']) {
        const entry = menus[menu]!.find((m) => m.command === command);
        assert.equal(entry?.when, `resourceScheme == codecraft && (resource in ${key})`, `${command} in ${menu}`);
      }
      assert.equal(menus.commandPalette!.find((m) => m.command === command)?.when, `resource in ${key}`, command);
    }
    const discard = menus['view/item/context']!.find((m) => m.command === Commands.discardChange)!;
    assert.ok(['deleted', 'failed', 'pending'].every((s) => discard.when.includes(s)) && !discard.when.includes('conflict'), discard.when);
    assert.ok(!menus.commandPalette!.some((m) => m.command === Commands.showPendingChanges), 'Show Pending Changes is always in the palette');
  });

  it('activates on startup and on its views, and declares virtual-workspace and trust support', () => {
    assert.ok(pkg.activationEvents.includes('onStartupFinished'));
    for (const v of Object.values(Views)) assert.ok(pkg.activationEvents.includes(`onView:${v}`), v);
    // Without it, a panel open before a reload would not come back.
    for (const p of Object.values(WebviewPanels)) assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${p}`), p);
    assert.equal(pkg.capabilities.virtualWorkspaces, true);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, true);
    assert.ok(pkg.capabilities.untrustedWorkspaces.description.length > 20);
  });

  it('pins the versions the build depends on', () => {
    assert.equal(pkg.engines.vscode, '^1.100.0');
    assert.match(pkg.devDependencies['@types/vscode'], /^~1\.100\./);
    assert.equal(pkg.dependencies.appwrite, '17.0.2');
    assert.ok(!/^\^?13/.test(pkg.devDependencies['better-sqlite3'] ?? ''), 'better-sqlite3 13 crashes on Node 20');
  });
});
