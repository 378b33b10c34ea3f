// The JavaScript face of core.c: a native thread consumes the ring buffer into batches (many records in one
// ArrayBuffer) and hands them to JavaScript through a thread-safe function. A credit count bounds the batches
// JavaScript has received but not yet consumed: when it runs out the thread stops consuming, the ring fills and
// the kernel drops (and counts) instead of slowing the traced application or growing memory.
// Each batch also lists where its slot and exit records are, so JavaScript acknowledges slot registrations
// (probe/src/slotack.ts) without walking every record of every batch.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core.h"
#include "nullspan.h"

namespace
{

constexpr size_t kBatchBytes = 1 << 20; // one batch holds at most this many bytes of records
constexpr int kCredits = 8; // batches JavaScript may hold unconsumed
constexpr int kPollMs = 10; // longest a lone record waits before delivery

struct BatchMsg {
	uint8_t *data = nullptr;
	size_t len = 0;
	uint32_t count = 0;
	bool end = false;
	std::vector<uint32_t> control; // byte offsets of the batch's NS_KIND_SLOT and NS_KIND_EXIT records
};

class NativeProbe : public Napi::ObjectWrap<NativeProbe>
{
      public:
	static Napi::Object Init(Napi::Env env, Napi::Object exports)
	{
		Napi::Function fn = DefineClass(env, "NativeProbe",
						{ InstanceMethod("addPid", &NativeProbe::AddPid),
						  InstanceMethod("removePid", &NativeProbe::RemovePid),
						  InstanceMethod("excludePid", &NativeProbe::ExcludePid),
						  InstanceMethod("attachLibuv", &NativeProbe::AttachLibuv),
						  InstanceMethod("stats", &NativeProbe::Stats),
						  InstanceMethod("fallbacks", &NativeProbe::Fallbacks),
						  InstanceMethod("ack", &NativeProbe::Ack),
						  InstanceMethod("stop", &NativeProbe::Stop) });
		exports.Set("NativeProbe", fn);
		return exports;
	}

	// new NativeProbe(options, onBatch(arrayBuffer, count, controlOffsets | undefined), onEnd())
	explicit NativeProbe(const Napi::CallbackInfo &info) : Napi::ObjectWrap<NativeProbe>(info)
	{
		Napi::Env env = info.Env();
		Napi::Object o = info[0].As<Napi::Object>();
		ns_core_opts opts{};
		opts.snap_len = o.Get("snapLen").As<Napi::Number>().Uint32Value();
		opts.ring_size = o.Get("ringSize").As<Napi::Number>().Uint32Value();
		opts.wakeup_every = o.Get("wakeupEvery").As<Napi::Number>().Uint32Value();
		opts.follow_children = o.Get("followChildren").As<Napi::Boolean>().Value();
		opts.markers_all = o.Get("markersAll").As<Napi::Boolean>().Value();
		opts.cgroup_id = static_cast<uint64_t>(o.Get("cgroupId").As<Napi::Number>().Int64Value());
		opts.cgroup_level = o.Get("cgroupLevel").As<Napi::Number>().Uint32Value();
		std::string cgroup_dir = o.Get("cgroupDir").As<Napi::String>().Utf8Value();
		opts.cgroup_dir = cgroup_dir.empty() ? nullptr : cgroup_dir.c_str();
		Napi::Array adopt = o.Get("adoptCgroups").As<Napi::Array>();
		for (uint32_t i = 0; i < adopt.Length() && i < NS_ADOPT_CGROUPS_MAX; i++) {
			Napi::Object cg = adopt.Get(i).As<Napi::Object>();
			opts.adopt_cgroup_ids[i] = static_cast<uint64_t>(cg.Get("id").As<Napi::Number>().Int64Value());
			opts.adopt_cgroup_levels[i] = cg.Get("level").As<Napi::Number>().Uint32Value();
			opts.adopt_cgroup_count = i + 1;
		}
		SetMask(o.Get("syscalls").As<Napi::Array>(), opts.syscall_mask);
		opts.skip_unsampled = o.Get("skipUnsampled").As<Napi::Boolean>().Value();
		opts.skip_outside = o.Get("skipOutside").As<Napi::Boolean>().Value();
		SetMask(o.Get("stateSyscalls").As<Napi::Array>(), opts.state_mask);
		SetMask(o.Get("fdArgSyscalls").As<Napi::Array>(), opts.fd_arg_mask);
		opts.record_marker_writes = o.Get("recordMarkerWrites").As<Napi::Boolean>().Value();
		opts.force_fallbacks = o.Get("forceFallbacks").As<Napi::Number>().Uint32Value();
		Napi::Array pids = o.Get("pids").As<Napi::Array>();

		char err[1024] = { 0 };
		core_ = ns_core_open(&opts, &NativeProbe::OnRecord, this, err, sizeof(err));
		if (!core_)
			throw Napi::Error::New(env, err);
		for (uint32_t i = 0; i < pids.Length(); i++) {
			int e = ns_core_add_pid(core_, pids.Get(i).As<Napi::Number>().Uint32Value());
			if (e) {
				ns_core_destroy(core_);
				core_ = nullptr;
				throw Napi::Error::New(env, std::string("Adding a pid to the traced set failed (") +
								    strerror(-e) + ").");
			}
		}
		cpus_ = ns_core_cpus(core_);
		fallbacks_ = ns_core_fallbacks(core_, &missing_);
		final_drops_.assign(static_cast<size_t>(cpus_) * NS_DROP_KINDS, 0);

		onEnd_ = Napi::Persistent(info[2].As<Napi::Function>());
		tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "nullspan-probe", 0, 1);
		NewBatch();
		thread_ = std::thread([this] { Run(); });
	}

	// Syscall numbers → a bit per number, as the BPF program's masks are laid out.
	static void SetMask(Napi::Array nrs, uint64_t mask[NS_NR_MAX / 64])
	{
		for (uint32_t i = 0; i < nrs.Length(); i++) {
			uint32_t nr = nrs.Get(i).As<Napi::Number>().Uint32Value();
			if (nr < NS_NR_MAX)
				mask[nr / 64] |= 1ULL << (nr % 64);
		}
	}

	~NativeProbe() override
	{
		// Only reached after the thread finished (JS keeps the object alive until onEnd), or if construction failed.
		if (thread_.joinable())
			thread_.join();
		std::free(batch_);
	}

      private:
	static int OnRecord(void *ctx, const void *data, size_t size)
	{
		return static_cast<NativeProbe *>(ctx)->Append(static_cast<const uint8_t *>(data), size);
	}

	void NewBatch()
	{
		batch_ = static_cast<uint8_t *>(std::malloc(kBatchBytes));
		batchLen_ = 0;
		batchCount_ = 0;
		control_.clear();
	}

	// Copies one record (8-byte aligned, zero padding) into the current batch, delivering it first when full.
	int Append(const uint8_t *data, size_t size)
	{
		uint32_t declared;
		std::memcpy(&declared, data, sizeof(declared));
		if (declared < sizeof(ns_hdr) || declared > size)
			return 0; // not a record we wrote; never copy past what the ring gave us
		size_t padded = (declared + NS_RECORD_ALIGN - 1) & ~static_cast<size_t>(NS_RECORD_ALIGN - 1);
		if (padded > kBatchBytes)
			return 0;
		if (batchLen_ + padded > kBatchBytes)
			Deliver();
		if (!batch_)
			return 0;
		uint16_t kind;
		std::memcpy(&kind, data + offsetof(ns_hdr, kind), sizeof(kind));
		if (kind == NS_KIND_SLOT || kind == NS_KIND_EXIT)
			control_.push_back(static_cast<uint32_t>(batchLen_));
		std::memcpy(batch_ + batchLen_, data, declared);
		std::memset(batch_ + batchLen_ + declared, 0, padded - declared);
		batchLen_ += padded;
		batchCount_++;
		return 0;
	}

	// Hands the current batch to JavaScript; waits for a credit unless the probe is stopping (the final drain is
	// bounded by the ring size, so it may run ahead of a consumer that never reads).
	void Deliver()
	{
		if (batchCount_ == 0)
			return;
		{
			std::unique_lock<std::mutex> lk(mu_);
			if (credits_ == 0 && !stopping_) {
				queueFull_++;
				cv_.wait(lk, [this] { return credits_ > 0 || stopping_; });
			}
			if (credits_ > 0)
				credits_--;
		}
		auto *msg = new BatchMsg{ batch_, batchLen_, batchCount_, false, std::move(control_) };
		events_ += batchCount_;
		bytes_ += batchLen_;
		batches_++;
		tsfn_.BlockingCall(msg, &NativeProbe::CallJs);
		NewBatch();
	}

	static void CallJs(Napi::Env env, Napi::Function onBatch, BatchMsg *msg)
	{
		if (env == nullptr) { // environment shutting down: nobody will free it otherwise
			std::free(msg->data);
			delete msg;
			return;
		}
		Napi::ArrayBuffer ab =
			Napi::ArrayBuffer::New(env, msg->data, msg->len, [](Napi::Env, void *p) { std::free(p); });
		Napi::Value control = env.Undefined();
		if (!msg->control.empty()) {
			Napi::Uint32Array offsets = Napi::Uint32Array::New(env, msg->control.size());
			std::memcpy(offsets.Data(), msg->control.data(), msg->control.size() * sizeof(uint32_t));
			control = offsets;
		}
		onBatch.Call({ ab, Napi::Number::New(env, msg->count), control });
		delete msg;
	}

	void Run()
	{
		while (!stopRequested_.load()) {
			ns_core_poll(core_, kPollMs);
			Deliver();
		}
		{
			std::lock_guard<std::mutex> lk(mu_);
			stopping_ = true;
		}
		// Close: detach so nothing new arrives, take what is left in the ring, then the records only user space can
		// produce (unfinished syscalls, drops not yet reported), so a capture of the batches holds everything.
		ns_core_detach(core_);
		ns_core_drain(core_);
		ns_core_emit_close_records(core_);
		Deliver();
		{
			std::lock_guard<std::mutex> lk(coreMu_);
			ns_core_drop_totals(core_, final_drops_.data(), cpus_);
			ns_core_skip_totals(core_, final_skips_);
			ns_core_sched_totals(core_, &final_sched_[0], &final_sched_[1]);
			ns_core_fallback_losses(core_, &final_losses_[0], &final_losses_[1]);
			ns_core_destroy(core_);
			core_ = nullptr;
		}
		std::free(batch_);
		batch_ = nullptr;
		tsfn_.BlockingCall(static_cast<BatchMsg *>(nullptr), [this](Napi::Env env, Napi::Function, BatchMsg *) {
			if (env == nullptr)
				return;
			if (thread_.joinable())
				thread_.join();
			Napi::Function end = onEnd_.Value();
			onEnd_.Reset();
			end.Call({});
		});
		tsfn_.Release();
	}

	Napi::Value AddPid(const Napi::CallbackInfo &info)
	{
		return ChangePid(info, true);
	}
	Napi::Value RemovePid(const Napi::CallbackInfo &info)
	{
		return ChangePid(info, false);
	}

	Napi::Value ExcludePid(const Napi::CallbackInfo &info)
	{
		uint32_t pid = info[0].As<Napi::Number>().Uint32Value();
		std::lock_guard<std::mutex> lk(coreMu_);
		if (!core_ || stopRequested_.load())
			throw Napi::Error::New(info.Env(), "The probe is closed, so its traced set cannot change.");
		int e = ns_core_exclude_pid(core_, pid);
		if (e)
			throw Napi::Error::New(info.Env(), "Excluding pid " + std::to_string(pid) + " failed (" +
								   strerror(-e) + ").");
		return info.Env().Undefined();
	}

	Napi::Value ChangePid(const Napi::CallbackInfo &info, bool add)
	{
		uint32_t pid = info[0].As<Napi::Number>().Uint32Value();
		std::lock_guard<std::mutex> lk(coreMu_);
		if (!core_ || stopRequested_.load())
			throw Napi::Error::New(info.Env(), "The probe is closed, so its traced set cannot change.");
		int e = add ? ns_core_add_pid(core_, pid) : ns_core_remove_pid(core_, pid);
		if (e)
			throw Napi::Error::New(info.Env(), std::string(add ? "Adding" : "Removing") + " pid " +
								   std::to_string(pid) + " failed (" + strerror(-e) +
								   ").");
		return info.Env().Undefined();
	}

	// attachLibuv(path, pid): null when attached, else the sentence saying why not.
	Napi::Value AttachLibuv(const Napi::CallbackInfo &info)
	{
		std::string path = info[0].As<Napi::String>().Utf8Value();
		int pid = info[1].As<Napi::Number>().Int32Value();
		std::lock_guard<std::mutex> lk(coreMu_);
		if (!core_ || stopRequested_.load())
			return Napi::String::New(info.Env(), "The probe is closed.");
		char err[1024] = { 0 };
		int e = ns_core_attach_libuv(core_, path.c_str(), pid, err, sizeof(err));
		if (e < 0)
			return Napi::String::New(info.Env(), err);
		return info.Env().Null();
	}

	Napi::Value Stats(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		std::vector<uint64_t> drops(static_cast<size_t>(cpus_) * NS_DROP_KINDS, 0);
		uint64_t skips[NS_SKIP_KINDS] = {};
		uint64_t losses[2] = {};
		uint64_t sched[2] = {};
		{
			std::lock_guard<std::mutex> lk(coreMu_);
			if (core_) {
				ns_core_drop_totals(core_, drops.data(), cpus_);
				ns_core_skip_totals(core_, skips);
				ns_core_sched_totals(core_, &sched[0], &sched[1]);
				ns_core_fallback_losses(core_, &losses[0], &losses[1]);
			} else {
				drops = final_drops_;
				std::copy(final_skips_, final_skips_ + NS_SKIP_KINDS, skips);
				std::copy(final_sched_, final_sched_ + 2, sched);
				std::copy(final_losses_, final_losses_ + 2, losses);
			}
		}
		uint64_t kind[NS_DROP_KINDS] = {};
		Napi::Array perCpu = Napi::Array::New(env, cpus_);
		for (int cpu = 0; cpu < cpus_; cpu++) {
			uint64_t sum = 0;
			for (int k = 0; k < NS_DROP_KINDS; k++) {
				kind[k] += drops[cpu * NS_DROP_KINDS + k];
				sum += drops[cpu * NS_DROP_KINDS + k];
			}
			perCpu.Set(cpu, Napi::Number::New(env, static_cast<double>(sum)));
		}
		Napi::Object d = Napi::Object::New(env);
		d.Set("syscall", Napi::Number::New(env, static_cast<double>(kind[NS_DROP_SYSCALL])));
		d.Set("marker", Napi::Number::New(env, static_cast<double>(kind[NS_DROP_MARKER])));
		d.Set("process", Napi::Number::New(env, static_cast<double>(kind[NS_DROP_PROCESS])));
		d.Set("perCpu", perCpu);
		Napi::Object s = Napi::Object::New(env);
		s.Set("events", Napi::Number::New(env, static_cast<double>(events_.load())));
		s.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes_.load())));
		s.Set("batches", Napi::Number::New(env, static_cast<double>(batches_.load())));
		s.Set("drops", d);
		s.Set("queueFull", Napi::Number::New(env, static_cast<double>(queueFull_.load())));
		Napi::Object sk = Napi::Object::New(env);
		sk.Set("unsampled", Napi::Number::New(env, static_cast<double>(skips[NS_SKIP_UNSAMPLED])));
		sk.Set("outsideSpans", Napi::Number::New(env, static_cast<double>(skips[NS_SKIP_OUTSIDE])));
		s.Set("skipped", sk);
		Napi::Object sc = Napi::Object::New(env);
		sc.Set("accounted", Napi::Number::New(env, static_cast<double>(sched[0])));
		sc.Set("repaired", Napi::Number::New(env, static_cast<double>(sched[1])));
		s.Set("sched", sc);
		Napi::Object fl = Napi::Object::New(env);
		fl.Set("threadStatesFull", Napi::Number::New(env, static_cast<double>(losses[0])));
		fl.Set("iovecsCut", Napi::Number::New(env, static_cast<double>(losses[1])));
		s.Set("fallbackLosses", fl);
		return s;
	}

	// { inUse, missing }: the enum ns_fallback bits the loaded program runs with, and those the kernel lacks.
	Napi::Value Fallbacks(const Napi::CallbackInfo &info)
	{
		Napi::Object o = Napi::Object::New(info.Env());
		o.Set("inUse", Napi::Number::New(info.Env(), fallbacks_));
		o.Set("missing", Napi::Number::New(info.Env(), missing_));
		return o;
	}

	// JavaScript consumed a batch: one more may be in flight.
	Napi::Value Ack(const Napi::CallbackInfo &info)
	{
		{
			std::lock_guard<std::mutex> lk(mu_);
			if (credits_ < kCredits)
				credits_++;
		}
		cv_.notify_one();
		return info.Env().Undefined();
	}

	// Starts closing; onEnd is called once everything has been delivered and the BPF objects are gone.
	Napi::Value Stop(const Napi::CallbackInfo &info)
	{
		if (!stopRequested_.exchange(true)) {
			std::lock_guard<std::mutex> lk(mu_);
			stopping_ = true;
			cv_.notify_all();
		}
		return info.Env().Undefined();
	}

	ns_core *core_ = nullptr;
	int cpus_ = 0;
	std::vector<uint64_t> final_drops_;
	uint64_t final_skips_[NS_SKIP_KINDS] = {};
	uint64_t final_sched_[2] = {};
	uint64_t final_losses_[2] = {}; // threadStatesFull, iovecsCut (ns_core_fallback_losses)
	uint32_t fallbacks_ = 0, missing_ = 0;
	std::mutex coreMu_; // guards core_ against destroy while JS reads stats or changes the traced set

	Napi::ThreadSafeFunction tsfn_;
	Napi::FunctionReference onEnd_;
	std::thread thread_;

	uint8_t *batch_ = nullptr; // owned by the native thread
	size_t batchLen_ = 0;
	uint32_t batchCount_ = 0;
	std::vector<uint32_t> control_; // offsets of this batch's slot and exit records (bounded by the batch size)

	std::mutex mu_;
	std::condition_variable cv_;
	int credits_ = kCredits;
	bool stopping_ = false;
	std::atomic<bool> stopRequested_{ false };

	std::atomic<uint64_t> events_{ 0 }, bytes_{ 0 }, batches_{ 0 }, queueFull_{ 0 };
};

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	return NativeProbe::Init(env, exports);
}

} // namespace

NODE_API_MODULE(nullspan_probe, Init)
