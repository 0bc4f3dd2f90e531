/**
 * The K3s VM construct is K3sNodeVm (./k3s-node-vm), for servers and agents. This path still
 * exports the Longhorn disk's serial for __tests__/ansible/roles.test.ts, which imports it from
 * here; remove this file once that test imports from ./k3s-node-vm.
 */
export { LONGHORN_DISK_SERIAL } from "./k3s-node-vm";
