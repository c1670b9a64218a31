import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseCluster} from '../../src/config/index.js'
import type {NodeFacts} from '../../src/facts/types.js'
import {planNode} from '../../src/plan/planner.js'
import {RESOURCES} from '../../src/resources/index.js'
import type {LocalFacts} from '../../src/resources/resource.js'
import {localFacts} from '../helpers/facts.js'

// Golden planner cases: test/plans/<case>/{cluster.yaml, facts.json, plan.json}. Adding a case is
// adding a folder. facts.json maps node name -> NodeFacts (plus an optional "_local" LocalFacts);
// every node in it is planned. UPDATE_GOLDEN=1 rewrites plan.json (review the diff!).
const root = fileURLToPath(new URL('.', import.meta.url))
const cases = readdirSync(root, {withFileTypes: true}).filter((d) => d.isDirectory()).map((d) => d.name)

describe('golden plans', () => {
  it('has at least 12 cases', () => expect(cases.length).toBeGreaterThanOrEqual(12))

  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name)
      const cluster = parseCluster(readFileSync(join(dir, 'cluster.yaml'), 'utf8'), join(dir, 'cluster.yaml'))
      const {_local, ...facts} = JSON.parse(readFileSync(join(dir, 'facts.json'), 'utf8')) as Record<string, NodeFacts> & {_local?: LocalFacts}
      const local = _local ?? localFacts(cluster)
      const got = Object.entries(facts).map(([node, f]) => {
        const spec = cluster.nodes.find((n) => n.name === node)
        if (!spec) throw new Error(`${name}: facts for unknown node ${node}`)
        const {factsDigest: _d, generation: _g, ...p} = planNode(cluster, spec, f, local, RESOURCES)
        return p
      })
      const file = join(dir, 'plan.json')
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, JSON.stringify({nodes: got}, null, 2) + '\n')
      expect({nodes: got}).toEqual(JSON.parse(readFileSync(file, 'utf8')))
    })
  }
})
