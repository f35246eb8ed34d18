import type { Task } from './task';

/** A short competition-style problem written for this project, with Python that computes its answer. */
export interface CheckedProblem {
  question: string;
  answer: string;
  /** Prints the answer; scripts/make-tasks.ts and a test run it in the sandbox. */
  check: string;
}

export const competitionProblems: CheckedProblem[] = [
  {
    question: 'How many positive divisors does 360 have?',
    answer: '24',
    check: 'print(sum(1 for d in range(1, 361) if 360 % d == 0))',
  },
  {
    question: 'What is the sum of all positive integers less than 1000 that are multiples of 3 or 5?',
    answer: '233168',
    check: 'print(sum(n for n in range(1, 1000) if n % 3 == 0 or n % 5 == 0))',
  },
  { question: 'What is the remainder when 2^100 is divided by 7?', answer: '2', check: 'print(pow(2, 100, 7))' },
  {
    question: 'How many zeros does 100! end with?',
    answer: '24',
    check: 'import math\ns = str(math.factorial(100))\nprint(len(s) - len(s.rstrip("0")))',
  },
  {
    question: 'What is the smallest positive integer divisible by every integer from 1 to 10?',
    answer: '2520',
    check:
      'import math\nfrom functools import reduce\nprint(reduce(lambda a, b: a * b // math.gcd(a, b), range(1, 11)))',
  },
  {
    question: 'How many pairs of positive integers (a, b) with a ≤ b satisfy a · b = 144?',
    answer: '8',
    check: 'print(sum(1 for a in range(1, 145) for b in range(a, 145) if a * b == 144))',
  },
  {
    question: 'The sum of three consecutive integers is 102. What is the largest of them?',
    answer: '35',
    check: 'print(next(n + 2 for n in range(-200, 200) if n + (n + 1) + (n + 2) == 102))',
  },
  {
    question: 'What is the greatest common divisor of 1071 and 462?',
    answer: '21',
    check: 'import math\nprint(math.gcd(1071, 462))',
  },
  {
    question: 'How many prime numbers are less than 200?',
    answer: '46',
    check: 'print(sum(1 for n in range(2, 200) if all(n % d for d in range(2, int(n ** 0.5) + 1))))',
  },
  {
    question: 'What is the sum of the digits of 2^50?',
    answer: '76',
    check: 'print(sum(int(c) for c in str(2 ** 50)))',
  },
  {
    question: 'How many four-digit numbers have digits that add up to 9?',
    answer: '165',
    check: 'print(sum(1 for n in range(1000, 10000) if sum(map(int, str(n))) == 9))',
  },
  {
    question: 'In how many ways can 8 identical balls be placed into 3 different boxes (boxes may be empty)?',
    answer: '45',
    check: 'print(sum(1 for a in range(9) for b in range(9 - a)))',
  },
  { question: 'What is 7^2024 mod 100?', answer: '1', check: 'print(pow(7, 2024, 100))' },
  {
    question: 'How many integers n with 1 ≤ n ≤ 1000 are divisible by none of 2, 3 and 5?',
    answer: '266',
    check: 'print(sum(1 for n in range(1, 1001) if n % 2 and n % 3 and n % 5))',
  },
  {
    question: 'What is 1^2 + 2^2 + 3^2 + … + 50^2?',
    answer: '42925',
    check: 'print(sum(k * k for k in range(1, 51)))',
  },
  {
    question: 'A rectangle has perimeter 56 and area 192. How long is its diagonal?',
    answer: '20',
    check: 'print(next(int((a * a + (28 - a) ** 2) ** 0.5) for a in range(1, 28) if a * (28 - a) == 192))',
  },
  {
    question: 'Two fair dice are rolled. What is the probability that the numbers shown add up to 7? Give a fraction.',
    answer: '1/6',
    check:
      'from fractions import Fraction\nprint(Fraction(sum(1 for a in range(1, 7) for b in range(1, 7) if a + b == 7), 36))',
  },
  {
    question: 'How many subsets of {1, 2, …, 10} (the empty set included) have an even sum?',
    answer: '512',
    check:
      'from itertools import combinations\nprint(sum(1 for k in range(11) for c in combinations(range(1, 11), k) if sum(c) % 2 == 0))',
  },
  {
    question: 'With F(1) = F(2) = 1 and F(n) = F(n−1) + F(n−2), what is F(20)?',
    answer: '6765',
    check: 'a, b = 1, 1\nfor _ in range(18):\n    a, b = b, a + b\nprint(b)',
  },
  {
    question: 'Solve for x: 3x + 7 = 2x + 19.',
    answer: '12',
    check: 'print(next(x for x in range(-100, 100) if 3 * x + 7 == 2 * x + 19))',
  },
  {
    question: 'What is the least common multiple of 84 and 120?',
    answer: '840',
    check: 'import math\nprint(84 * 120 // math.gcd(84, 120))',
  },
  {
    question: 'How many positive integers below 500 are perfect squares or perfect cubes?',
    answer: '27',
    check: 'print(len({k * k for k in range(1, 23) if k * k < 500} | {k ** 3 for k in range(1, 8) if k ** 3 < 500}))',
  },
  {
    question: 'The mean of five numbers is 12. Four of them are 8, 10, 15 and 16. What is the fifth?',
    answer: '11',
    check: 'print(5 * 12 - (8 + 10 + 15 + 16))',
  },
  {
    question: 'What is the sum of the interior angles of a convex decagon, in degrees?',
    answer: '1440',
    check: 'print((10 - 2) * 180)',
  },
  {
    question: 'How many diagonals does a convex polygon with 12 sides have?',
    answer: '54',
    check:
      'from itertools import combinations\nprint(sum(1 for a, b in combinations(range(12), 2) if (b - a) % 12 not in (1, 11)))',
  },
  { question: 'What is the remainder when 123456789 is divided by 37?', answer: '36', check: 'print(123456789 % 37)' },
  {
    question: 'How many zeros are at the end of the number 2^10 · 5^7 · 3^4?',
    answer: '7',
    check: 's = str(2 ** 10 * 5 ** 7 * 3 ** 4)\nprint(len(s) - len(s.rstrip("0")))',
  },
  {
    question: 'What is the sum of all positive divisors of 496?',
    answer: '992',
    check: 'print(sum(d for d in range(1, 497) if 496 % d == 0))',
  },
  {
    question: 'What is 15% of 15% of 4000?',
    answer: '90',
    check: 'from fractions import Fraction\nprint(Fraction(15, 100) * Fraction(15, 100) * 4000)',
  },
  {
    question:
      'A bag holds 5 red and 7 blue marbles. Two are drawn without replacement. What is the probability that both are red? Give a fraction.',
    answer: '5/33',
    check: 'from fractions import Fraction\nprint(Fraction(5, 12) * Fraction(4, 11))',
  },
  {
    question: 'What is the smallest prime number greater than 1000?',
    answer: '1009',
    check: 'print(next(n for n in range(1001, 2000) if all(n % d for d in range(2, int(n ** 0.5) + 1))))',
  },
  {
    question: 'How many integers from 1 to 2024 are divisible by 7 but not by 11?',
    answer: '263',
    check: 'print(sum(1 for n in range(1, 2025) if n % 7 == 0 and n % 11))',
  },
];

export function competitionTasks(): Task[] {
  return competitionProblems.map((p, i) => ({
    id: `comp-${String(i + 1).padStart(2, '0')}`,
    question: p.question,
    answer: p.answer,
    source: 'sod-playground-competition',
  }));
}
