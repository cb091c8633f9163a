// SPDX-License-Identifier: GPL-2.0

//! `nsaudit report`.

pub mod capture;
