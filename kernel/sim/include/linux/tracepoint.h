/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of the tracepoint macros (TRACE_EVENT, DECLARE_EVENT_CLASS,
 * DEFINE_EVENT, DEFINE_EVENT_PRINT with __field/__array entries). Each event
 * compiles to a static inline trace_<name>() that does nothing unless a hook
 * is set with sim_trace_set_hook(); then it fills the event's entry as
 * TP_fast_assign does and hands the hook the event's name and its TP_printk
 * line, as the kernel's trace buffer would show it. trace_<name>_enabled()
 * tells whether a hook is set. The hook is called where the event fires,
 * with the caller's locks held.
 */
#ifndef _SIM_LINUX_TRACEPOINT_H
#define _SIM_LINUX_TRACEPOINT_H

#include <linux/types.h>

typedef void (*sim_trace_hook_t)(const char *event, const char *line);
void sim_trace_set_hook(sim_trace_hook_t hook);
bool sim_trace_on(void);
__printf(2, 3) void sim_trace_emit(const char *event, const char *fmt, ...);

#define PARAMS(args...) args
#define TP_PROTO(args...) args
#define TP_ARGS(args...) args
#define TP_STRUCT__entry(args...) args
#define TP_fast_assign(args...) args
#define TP_printk(fmt, args...) fmt, ##args
#define __field(type, item) type item;
#define __array(type, item, len) type item[len];
#define __entry entry_

#define DECLARE_EVENT_CLASS(cls, proto, args, tstruct, assign, print)                          \
	struct sim_trace_entry_##cls {                                                         \
		tstruct                                                                        \
	};                                                                                     \
	static inline void sim_trace_assign_##cls(struct sim_trace_entry_##cls *entry_, proto) \
	{                                                                                      \
		assign                                                                         \
	}                                                                                      \
	static inline void sim_trace_print_##cls(const char *event_,                           \
						 const struct sim_trace_entry_##cls *entry_)   \
	{                                                                                      \
		sim_trace_emit(event_, print);                                                 \
	}

#define DEFINE_EVENT(cls, name, proto, args)            \
	static inline bool trace_##name##_enabled(void) \
	{                                               \
		return sim_trace_on();                  \
	}                                               \
	static inline void trace_##name(proto)          \
	{                                               \
		struct sim_trace_entry_##cls e_;        \
                                                        \
		if (!sim_trace_on())                    \
			return;                         \
		sim_trace_assign_##cls(&e_, args);      \
		sim_trace_print_##cls(#name, &e_);      \
	}

#define DEFINE_EVENT_PRINT(cls, name, proto, args, print)         \
	static inline bool trace_##name##_enabled(void)           \
	{                                                         \
		return sim_trace_on();                            \
	}                                                         \
	static inline void trace_##name(proto)                    \
	{                                                         \
		struct sim_trace_entry_##cls e_;                  \
		const struct sim_trace_entry_##cls *entry_ = &e_; \
                                                                  \
		if (!sim_trace_on())                              \
			return;                                   \
		sim_trace_assign_##cls(&e_, args);                \
		sim_trace_emit(#name, print);                     \
	}

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)                                  \
	DECLARE_EVENT_CLASS(name, PARAMS(proto), PARAMS(args), PARAMS(tstruct), PARAMS(assign), \
			    PARAMS(print))                                                      \
	DEFINE_EVENT(name, name, PARAMS(proto), PARAMS(args))

#endif
