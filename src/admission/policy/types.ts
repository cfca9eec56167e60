/** admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and its binding, as stored. */
import type { KubeObject } from '../../api/types.js';
import type { LabelSelectorObject } from '../../api/selectors/label-selector.js';
import type { PolicySpec } from '../../api/cel/policy.js';
import type { RuleWithOperations } from '../webhooks/types.js';

export interface NamedRuleWithOperations extends RuleWithOperations {
  resourceNames?: string[];
}

export interface MatchResources {
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  resourceRules?: NamedRuleWithOperations[];
  excludeResourceRules?: NamedRuleWithOperations[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

export interface ValidatingAdmissionPolicy extends KubeObject {
  spec: PolicySpec & { matchConstraints?: MatchResources };
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelectorObject;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface ValidatingAdmissionPolicyBinding extends KubeObject {
  spec: {
    policyName: string;
    paramRef?: ParamRef;
    matchResources?: MatchResources;
    validationActions?: Array<'Deny' | 'Warn' | 'Audit'>;
  };
}
