#pragma once

// Lambdas as one visitor for std::visit: a visit that lacks a case for one
// of the variant's types does not compile.
namespace switchboard {

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace switchboard
