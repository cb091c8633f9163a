// SPDX-License-Identifier: GPL-2.0

//! nsaudit: validate and read the audit records of Linux namespaces.
//!
//! - [`record`]: parse audit records (netlink text and auditd log lines);
//! - [`reference`]: check `AUDIT_NS_*` records against the reference format;
//! - [`nsinfo`]: the `AUDIT_NS_INFO` record, a task's namespaces in each of its events;
//! - [`syscall`]: the x86_64 system calls nsaudit audits and names;
//! - [`rng`]: the deterministic generator of the stress workers and the generated logs;
//! - [`checklog`]: `nsaudit check-log`, the namespace records of an auditd log;
//! - [`audit`]: the audit netlink socket (daemon role, rules, status, records);
//! - [`daemon`]: the audit daemon of the tests that load audit, slow or fast;
//! - [`guest`]: the module, child processes and limits in the guest;
//! - [`nsops`]: create namespaces in child processes and read their identities;
//! - [`validate`]: the scenarios of `nsaudit-guest validate`;
//! - [`demo`]: `nsaudit-guest demo`;
//! - [`flood`]: `nsaudit-guest flood`, an unprivileged namespace flood against a slow daemon;
//! - [`bench`]: `nsaudit-guest bench`, what auditing namespaces costs;
//! - [`report`]: `nsaudit report`, containers and namespace lineage from an auditd log;
//! - [`plugin`]: `nsaudit plugin`, the report's attribution as an auditd plugin;
//! - [`runtimes`]: `nsaudit-guest check-runtimes`, the report against what container runtimes say;
//! - [`snapshot`]: `nsaudit-guest snapshot`, the module loaded while thousands of namespaces live;
//! - [`stress`]: `nsaudit-guest stress`.

pub mod audit;
pub mod bench;
pub mod checklog;
pub mod compare;
pub mod daemon;
pub mod demo;
pub mod flood;
pub mod guest;
pub mod nsinfo;
pub mod nsops;
pub mod plugin;
pub mod record;
pub mod reference;
pub mod report;
pub mod rng;
pub mod runtimes;
pub mod snapshot;
pub mod stress;
pub mod syscall;
pub mod validate;
