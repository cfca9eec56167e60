import { strategyData } from '/work/main/src/kubevirt/operator/strategy-data.js';
const d = strategyData();
console.log(d.operands.length, d.manifestObjects.length, d.crds.length, d.instancetypes.length, d.preferences.length);
console.log(d.manifestObjects.map(o=>o.kind+'/'+o.metadata.name).join(' '));
console.log(d.crds.map(c=>c.metadata.name).join(' '));
