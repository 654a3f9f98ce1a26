/* netpulse-vmlinux.h — the few kernel types the Netpulse programs read.
 *
 * Instead of a generated vmlinux.h (which needs BTF on the build machine
 * and is megabytes large) we declare only the fields we use.  Every struct
 * is marked preserve_access_index, so libbpf relocates each field access
 * against the running kernel's BTF at load time (CO-RE): the layout here
 * does not have to match any kernel, only the field names do.  Fields that
 * the kernel nests in anonymous unions/structs are declared flat; libbpf
 * finds them by name.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>

typedef __u8  u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u64 size_t;
typedef _Bool bool;
#define true  1
#define false 0

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
  __u8 s6_addr[16];
};

struct ns_common {
  unsigned int inum;
};

struct net {
  struct ns_common ns;
};

typedef struct {
  struct net *net;
} possible_net_t;

typedef struct {
  __u32 val;
} kuid_t;

typedef struct {
  __s64 counter;
} atomic64_t;

struct sock_common {
  __be32          skc_daddr;
  __be32          skc_rcv_saddr;
  __be16          skc_dport;
  __u16           skc_num;
  unsigned short  skc_family;
  volatile unsigned char skc_state;
  possible_net_t  skc_net;
  struct in6_addr skc_v6_daddr;
  struct in6_addr skc_v6_rcv_saddr;
  atomic64_t      skc_cookie;
  unsigned long   skc_flags;       /* sk_flags: enum sock_flags bits */
};

struct inode {
  unsigned long i_ino;
};

struct qstr {
  const unsigned char *name;
};

struct dentry {
  struct qstr d_name;
};

struct path {
  struct dentry *dentry;
};

struct file {
  struct inode *f_inode;
  struct path   f_path;
};

struct mm_struct {
  struct file *exe_file;
};

struct sock;

struct socket {
  struct file *file;
  struct sock *sk;
};

struct sock {
  struct sock_common __sk_common;
  kuid_t             sk_uid;
  __u16              sk_protocol;
  __u16              sk_type;
  struct socket     *sk_socket;
  __u8               sk_kern_sock:1;  /* created by the kernel (sock_create_kern()) */
};

struct inet_sock {
  struct sock sk;
};

struct tcp_sock {
  __u32 srtt_us;
  __u32 total_retrans;
  bool  is_mptcp;        /* CONFIG_MPTCP only: a subflow of an MPTCP socket */
  __u32 copied_seq;      /* head of yet unread data */
  __u32 rcv_nxt;         /* what we want to receive next */
};

struct udp_sock {
  struct inet_sock inet;
};

struct msghdr;
struct seq_file;

struct bpf_iter_meta {
  struct seq_file *seq;
  __u64 session_id;
  __u64 seq_num;
};

struct bpf_iter__tcp {
  struct bpf_iter_meta *meta;
  struct sock_common   *sk_common;
  __u32                 uid;
};

struct kernfs_node {
  u64 id;
};

struct cgroup {
  struct kernfs_node *kn;
};

struct css_set {
  struct cgroup *dfl_cgrp;
};

struct task_struct {
  int             tgid;
  char            comm[16];
  struct css_set *cgroups;
  struct mm_struct *mm;
};

struct bpf_iter__task_file {
  struct bpf_iter_meta *meta;
  struct task_struct   *task;
  u32                   fd;
  struct file          *file;
};

struct bpf_iter__udp {
  struct bpf_iter_meta *meta;
  struct udp_sock      *udp_sk;
  __u32                 uid;
  int                   bucket;
};

#pragma clang attribute pop
