import type { Component } from '../../runtime/component.js';
import type { ClusterContext } from '../context.js';

export function nodeComponents(_ctx: ClusterContext): Component[] {
  return [];
}
