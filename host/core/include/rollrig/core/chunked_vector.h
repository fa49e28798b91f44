// ChunkedVector: an append-only array kept in fixed-size chunks of kChunk elements, for series that
// grow for hours (the GUI's session samples, the min/max pyramid's values and levels).
//
// Why not std::vector: a vector grows by doubling, so a two-hour series holds up to twice the
// memory it needs, and every regrowth briefly holds the old and the new copy at once (three times
// the data at the peak, and a freed block the allocator rarely gives back). Here a full chunk is
// never moved or copied again: the memory held is the elements plus at most one partly filled
// chunk, and appending never needs more than one new chunk. The first chunk grows like a vector
// (up to kChunk), so a short series (a pyramid's upper levels) costs no more than its elements.
//
// Elements stay where they are once appended (references stay valid until clear()). Indexing is
// two loads (chunk, element). const_iterator is random access, so std::lower_bound works on it.
//
// Pure (std only). Thread safety: none; one owner.
#pragma once

#include <cstddef>
#include <iterator>
#include <vector>

namespace rollrig::core {

template <typename T, size_t kChunkLog2 = 12>
class ChunkedVector {
 public:
  static constexpr size_t kChunk = size_t{1} << kChunkLog2;  // elements a chunk

  void push_back(const T& v) {
    if (m_chunks.empty() || m_chunks.back().size() == kChunk) {
      m_chunks.emplace_back();
      if (m_chunks.size() > 1) m_chunks.back().reserve(kChunk);  // the first grows as it fills
    }
    m_chunks.back().push_back(v);
    ++m_size;
  }
  void clear() {
    m_chunks.clear();
    m_chunks.shrink_to_fit();
    m_size = 0;
  }

  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  const T& operator[](size_t i) const { return m_chunks[i >> kChunkLog2][i & (kChunk - 1)]; }
  const T& back() const { return m_chunks.back().back(); }

  // Bytes held: every chunk's capacity and the chunk table.
  size_t bytes() const {
    size_t n = m_chunks.capacity() * sizeof(std::vector<T>);
    for (const std::vector<T>& c : m_chunks) n += c.capacity() * sizeof(T);
    return n;
  }

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    const_iterator(const ChunkedVector* v, size_t i) : m_v(v), m_i(i) {}
    reference operator*() const { return (*m_v)[m_i]; }
    pointer operator->() const { return &(*m_v)[m_i]; }
    reference operator[](difference_type d) const { return (*m_v)[m_i + d]; }
    const_iterator& operator++() { return ++m_i, *this; }
    const_iterator operator++(int) { return {m_v, m_i++}; }
    const_iterator& operator--() { return --m_i, *this; }
    const_iterator operator--(int) { return {m_v, m_i--}; }
    const_iterator& operator+=(difference_type d) { return m_i += d, *this; }
    const_iterator& operator-=(difference_type d) { return m_i -= d, *this; }
    friend const_iterator operator+(const_iterator it, difference_type d) { return it += d; }
    friend const_iterator operator+(difference_type d, const_iterator it) { return it += d; }
    friend const_iterator operator-(const_iterator it, difference_type d) { return it -= d; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.m_i) - static_cast<difference_type>(b.m_i);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.m_i == b.m_i;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) {
      return a.m_i != b.m_i;
    }
    friend bool operator<(const const_iterator& a, const const_iterator& b) {
      return a.m_i < b.m_i;
    }
    friend bool operator>(const const_iterator& a, const const_iterator& b) {
      return a.m_i > b.m_i;
    }
    friend bool operator<=(const const_iterator& a, const const_iterator& b) {
      return a.m_i <= b.m_i;
    }
    friend bool operator>=(const const_iterator& a, const const_iterator& b) {
      return a.m_i >= b.m_i;
    }

   private:
    const ChunkedVector* m_v = nullptr;
    size_t m_i = 0;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, m_size}; }

 private:
  std::vector<std::vector<T>> m_chunks;  // every chunk but the last holds exactly kChunk
  size_t m_size = 0;
};

}  // namespace rollrig::core
