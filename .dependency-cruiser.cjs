// The layering of ../shared/DESIGN.md, enforced: a lower layer never imports a higher one.
// Layer ranks (higher may import lower): util 0, gpu 1, ops 2, space 3, templates 4,
// measure/records 5, search/graph 6, sharing/runtime 7, report 8, service/cli 9.
const layers = [
  ['util'],
  ['gpu'],
  ['ops'],
  ['space'],
  ['templates'],
  ['measure', 'records'],
  ['search', 'graph'],
  ['sharing', 'runtime'],
  ['report'],
  ['service', 'cli'],
];
const forbidden = [
  { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
];
layers.forEach((names, rank) => {
  const higher = layers.slice(rank + 1).flat();
  if (higher.length === 0) return;
  forbidden.push({
    name: `layer-${names.join('-')}`,
    severity: 'error',
    comment: `${names.join('/')} must not import a higher layer (${higher.join(', ')})`,
    from: { path: `^src/(${names.join('|')})/` },
    to: { path: `^src/(${higher.join('|')})/` },
  });
});
// Siblings on one rank stay independent, except where the arrow is the data flow:
// records stores measure's results; cli starts the service.
const siblingBans = [
  ['measure', 'records'],
  ['search', 'graph'],
  ['graph', 'search'],
  ['sharing', 'runtime'],
  ['runtime', 'sharing'],
  ['service', 'cli'],
];
for (const [from, to] of siblingBans) {
  forbidden.push({ name: `sibling-${from}-${to}`, severity: 'error', from: { path: `^src/${from}/` }, to: { path: `^src/${to}/` } });
}
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
